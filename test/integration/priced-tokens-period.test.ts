// A run's estimate at settings prices across a budget period's boundary, in workerd (policies/estimate-spend with
// core/price-estimate `estimateShare`): a run estimated in one period whose engine's USD arrives in the next takes
// off only what the new period counted of its own estimate — none — so another run's estimate in the new period
// stays in its `estimatedUsd`. Red before: the period's estimated part fell by the whole old estimate (kept ≥ 0 only),
// and the budget said the new run's estimated spend was engine-reported USD.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";

const DAY_MS = 86_400_000;
const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
const tokensOnly = (leaseEpoch: number, tokensIn: number, tokensOut: number) => ({
  leaseEpoch,
  stage: "building",
  insights: { tokensIn, tokensOut, unpricedTokens: tokensIn + tokensOut },
});

/** A codex job claimed by its own factory: [token, job id, epoch]. */
async function codexRun(product: string, name: string) {
  const f = await enroll(product, name, ["engine:codex"]);
  const job = await submit(product, { title: name, engine: "codex" });
  const { lease } = (await claim(product, f.token)).body;
  return { token: f.token, jobId: job.id, epoch: lease.leaseEpoch };
}

/** The stored period (and what each run's row says it counted in) began a day earlier: the next read rolls over. */
async function periodEndsNow(product: string) {
  await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec(
      "UPDATE budget SET doc = json_set(doc, '$.periodStart', json_extract(doc, '$.periodStart') - ?) WHERE id = 1",
      DAY_MS,
    );
    for (const table of ["run_unpriced", "run_estimate"]) {
      const cols = sql.exec(`SELECT name FROM pragma_table_info('${table}')`).toArray();
      if (cols.some((c) => c.name === "period_start")) {
        sql.exec(`UPDATE ${table} SET period_start = period_start - ? WHERE period_start > 0`, DAY_MS);
      }
    }
  });
}

describe("a run's estimate across a budget period's boundary", () => {
  it("a run estimated yesterday and priced today leaves today's other estimates in estimatedUsd", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-period");
      const put = { period: "day", ceilingUsd: 100, onExhausted: "pause" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: put })).status).toBe(200);
      const prices = { prices: { codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } } };
      expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: prices })).status).toBe(200);
      const a = await codexRun(product, "a");
      const patch = (r: typeof a, json: Record<string, unknown>) =>
        api("PATCH", `${P(product)}/jobs/${r.jobId}`, { token: r.token, json });
      expect((await patch(a, tokensOnly(a.epoch, 400_000, 100_000))).status).toBe(200); // $1.50 estimated
      expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5 });

      await periodEndsNow(product);
      expect(await budget(product)).toMatchObject({ spentUsd: 0, estimatedUsd: 0 });
      const b = await codexRun(product, "b");
      expect((await patch(b, tokensOnly(b.epoch, 400_000, 100_000))).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5 });

      // a's engine reports $2: today is charged the $0.50 over a's estimate, and none of b's estimate is taken off.
      const priced = {
        leaseEpoch: a.epoch,
        stage: "building",
        insights: { tokensIn: 410_000, tokensOut: 100_000, costUsd: 2 },
      };
      expect((await patch(a, priced)).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 2, estimatedUsd: 1.5 });
    }));
});
