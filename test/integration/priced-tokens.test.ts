// Tokens no USD came for, charged at the operator's prices (settings `prices`; core/prices, core/price-estimate,
// policies/estimate-spend) against the real coordinator in workerd: a Codex run reporting tokens only is charged the
// estimate — the product budget's stop fires on it, and a job's own `budget.usd` ends it `budget_exceeded` — and the
// budget says which part is an estimate (`estimatedUsd`); a Claude run's later USD replaces the estimate (only what
// it adds over it is charged; a lower one takes nothing back); a fenced late report is priced once; with no price for
// the run's engine nothing changes: the tokens stay unpriced and uncharged. Red before: every such run cost $0.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";
import { expireLeaseNow } from "./state";

type Reported = JobView & { code?: string };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Reported>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
const setBudget = (product: string, ceilingUsd: number, onExhausted = "pause") =>
  api("PUT", `${P(product)}/budget`, { token: ADMIN, json: { period: "day", ceilingUsd, onExhausted } });
/** Codex at $1.25 per million read, $10 per million written: 400k in + 100k out = $0.50 + $1.00. */
const priceCodex = (product: string) =>
  api("PATCH", `${P(product)}/settings`, {
    token: ADMIN,
    json: { prices: { codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } } },
  });
const tokensOnly = (leaseEpoch: number, tokensIn: number, tokensOut: number) => ({
  leaseEpoch,
  stage: "building",
  insights: { tokensIn, tokensOut, unpricedTokens: tokensIn + tokensOut },
});

/** A product with a price for codex, a factory that runs it and one codex job claimed: [token, job id, epoch]. */
async function codexRun(product: string, manifest: Record<string, unknown> = {}) {
  expect((await priceCodex(product)).status).toBe(200);
  const f = await enroll(product, "f", ["engine:codex"]);
  const job = await submit(product, { title: "codex", engine: "codex", maxAttempts: 5, ...manifest });
  const { lease } = (await claim(product, f.token)).body;
  return { token: f.token, jobId: job.id, epoch: lease.leaseEpoch };
}

describe("tokens charged at the operator's prices", () => {
  it("a tokens-only run is charged the estimate, and the product budget's stop fires on it", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-stop");
      expect((await setBudget(product, 1, "stop")).status).toBe(200);
      const { token, jobId, epoch } = await codexRun(product);
      expect((await patch(product, token, jobId, tokensOnly(epoch, 100_000, 20_000))).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 0.325, estimatedUsd: 0.325, unpricedTokens: 120_000 });
      expect((await patch(product, token, jobId, tokensOnly(epoch, 400_000, 100_000))).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5, state: "paused" });
      const job = await getJob(product, jobId);
      expect(job.stage).toBe("queued"); // stopped and requeued: the stop took its lease
      expect(job.leaseEpoch).toBeGreaterThan(epoch);
    }));

  it("a later reported USD replaces the estimate: only what it adds is charged, a lower one takes nothing back", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-replaced");
      expect((await setBudget(product, 100)).status).toBe(200);
      const { token, jobId, epoch } = await codexRun(product);
      expect((await patch(product, token, jobId, tokensOnly(epoch, 400_000, 100_000))).status).toBe(200);
      // Resent: charged once.
      expect((await patch(product, token, jobId, tokensOnly(epoch, 400_000, 100_000))).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5 });
      type Runs = { runs: Array<{ spend?: Record<string, number> }> };
      const runs = (await api<Runs>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })).body.runs;
      expect(runs.map((r) => r.spend)).toEqual([
        { usd: 0, tokens: 500_000, unpricedTokens: 500_000, estimatedUsd: 1.5 },
      ]);
      // The engine's own USD arrives ($2 for these tokens and a few more): $0.50 more, none of it an estimate.
      const priced = { tokensIn: 410_000, tokensOut: 100_000, costUsd: 2 };
      expect((await patch(product, token, jobId, { ...tokensOnly(epoch, 0, 0), insights: priced })).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 2, estimatedUsd: 0, unpricedTokens: 0 });

      // A second run whose USD comes in under its estimate: the estimate stays charged, the rest of it an estimate.
      const f2 = await enroll(product, "f2", ["engine:codex"]);
      const second = await submit(product, { title: "second", engine: "codex" });
      const { lease } = (await claim(product, f2.token)).body;
      expect((await patch(product, f2.token, second.id, tokensOnly(lease.leaseEpoch, 400_000, 100_000))).status).toBe(
        200,
      );
      const lower = { tokensIn: 400_000, tokensOut: 100_000, costUsd: 0.5 };
      const done = { leaseEpoch: lease.leaseEpoch, stage: "testing", result: { outcome: "success" }, insights: lower };
      expect((await patch(product, f2.token, second.id, done)).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 3.5, estimatedUsd: 1 });
    }));

  it("a job's own budget.usd ends a tokens-only run budget_exceeded", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-job-budget");
      const { token, jobId, epoch } = await codexRun(product, { budget: { usd: 1 } });
      expect((await patch(product, token, jobId, tokensOnly(epoch, 400_000, 100_000))).status).toBe(200);
      const job = (await getJob(product, jobId)) as JobView & { lastResult?: { outcome: string } };
      expect(job.stage).toBe("failed");
      expect(job.lastResult?.outcome).toBe("budget_exceeded");
    }));

  it("a report fenced after its lease was lost is priced once", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-fenced");
      expect((await setBudget(product, 100)).status).toBe(200);
      const { token, jobId, epoch } = await codexRun(product);
      expect((await patch(product, token, jobId, tokensOnly(epoch, 100_000, 20_000))).status).toBe(200);
      await expireLeaseNow(product, jobId);
      await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
      const late = tokensOnly(epoch, 400_000, 100_000);
      expect((await patch(product, token, jobId, late)).body.code).toBe("fenced");
      expect((await patch(product, token, jobId, late)).body.code).toBe("fenced");
      expect(await budget(product)).toMatchObject({ spentUsd: 1.5, estimatedUsd: 1.5 });
    }));

  it("with no price for the run's engine nothing changes: the tokens stay unpriced and uncharged", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("priced-none");
      expect((await setBudget(product, 1, "stop")).status).toBe(200);
      expect((await priceCodex(product)).status).toBe(200);
      const f = await enroll(product, "f", ["engine:claude"]);
      const job = await submit(product, { title: "claude", engine: "claude" });
      const { lease } = (await claim(product, f.token)).body;
      expect((await patch(product, f.token, job.id, tokensOnly(lease.leaseEpoch, 400_000, 100_000))).status).toBe(200);
      expect(await budget(product)).toMatchObject({
        spentUsd: 0,
        estimatedUsd: 0,
        unpricedTokens: 500_000,
        state: "ok",
      });
      expect((await getJob(product, job.id)).stage).toBe("building");
    }));
});
