// An exhaustion pause ends at the period's boundary for dispatch itself, not only once the boundary's alarm (or the
// minute's cron sweep) has rolled the budget over: the pause is mirrored in `settings.budgetPaused`, which the claim,
// the push pass and the metrics read, and past the boundary that mirror is stale. A claim that came after midnight
// but before the alarm ran (a late or lost alarm) was refused 204 while `GET …/budget` (which rolls over on its own)
// said `ok`, and the job's waiting reason and `dispatchPaused` both still said paused. Here the alarm is lost and no
// sweep runs: the claim, the waiting reason and the metrics roll the period over themselves.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";
import { settleAlarm } from "./state.ts";

/** An exhausted day budget (a $2 report on a $1 ceiling) whose stored period began a day ago, its alarm lost. */
async function exhaustedYesterday(product: string) {
  const put = await api("PUT", `${P(product)}/budget`, {
    token: ADMIN,
    json: { period: "day", ceilingUsd: 1, onExhausted: "pause" },
  });
  expect(put.status).toBe(200);
  const f = await enroll(product, "f", [], 2);
  const a = await submit(product, { title: "a" });
  const lease = (await claim(product, f.token)).body;
  const json = { leaseEpoch: lease.lease.leaseEpoch, stage: "building", insights: { costUsd: 2 } };
  expect((await api("PATCH", `${P(product)}/jobs/${a.id}`, { token: f.token, json })).status).toBe(200);
  const b = await submit(product, { title: "b" });
  expect((await claim(product, f.token)).status).toBe(204); // paused by exhaustion
  await settleAlarm(product);
  await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    state.storage.sql.exec(
      "UPDATE budget SET doc = json_set(doc, '$.periodStart', json_extract(doc, '$.periodStart') - ?) WHERE id = 1",
      86_400_000,
    );
    await state.storage.deleteAlarm(); // lost: neither it nor the cron sweep rolls the period over here
  });
  return { f, b };
}

describe("past the period's boundary, before anything rolled the budget over", () => {
  it("an HTTP claim takes the waiting job: the exhaustion pause ended at the boundary", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-rollover-claim");
      const { f, b } = await exhaustedYesterday(product);
      const next = await claim(product, f.token);
      expect(next.status).toBe(200);
      expect(next.body.job.id).toBe(b.id);
    }));

  it("the waiting job and the metrics do not say dispatch is paused", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-rollover-reads");
      const { b } = await exhaustedYesterday(product);
      const metrics = await api<{ dispatchPaused: boolean }>("GET", `${P(product)}/metrics`, { token: ADMIN });
      expect(metrics.body.dispatchPaused).toBe(false);
      const waiting = (await getJob(product, b.id)).waitingReason as { code: string } | null;
      expect(waiting?.code).not.toBe("budget_paused");
    }));
});
