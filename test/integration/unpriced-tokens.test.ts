// Tokens an engine reported with no USD figure (a Codex run, a Claude run before its `result`) are said, not hidden
// (policies/unpriced-spend, core/unpriced): against the real coordinator in workerd, a run reporting tokens without
// USD shows them in `GET …/budget` `unpricedTokens` and in its run row's `spend.unpricedTokens`, never in `spentUsd`
// nor in the budget's state or alerts; a resent report counts once; the result that brings the USD prices them (the
// figure falls); a report fenced after its lease was lost counts as its spend does — the holder of that epoch only,
// once; a bad figure is refused 400 and changes nothing.
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
const runSpend = async (product: string, jobId: string) =>
  (
    await api<{
      runs: Array<{ leaseEpoch: number; spend?: { usd: number; tokens: number; unpricedTokens?: number } }>;
    }>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })
  ).body.runs.map((r) => r.spend);
const setBudget = (product: string, ceilingUsd: number) =>
  api("PUT", `${P(product)}/budget`, { token: ADMIN, json: { period: "day", ceilingUsd, onExhausted: "pause" } });
const building = (leaseEpoch: number, insights: Record<string, unknown>) => ({
  leaseEpoch,
  stage: "building",
  insights,
});

describe("unpriced tokens", () => {
  it("a run's tokens without USD show in the budget and the run row, once; the result's USD prices them", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("unpriced-run");
      expect((await setBudget(product, 0.01)).status).toBe(200); // a ceiling a cent would exhaust
      const f = await enroll(product, "f");
      const job = await submit(product, { title: "codex-like" });
      const { lease } = (await claim(product, f.token)).body;
      const first = building(lease.leaseEpoch, { tokensIn: 1000, tokensOut: 200, unpricedTokens: 1200 });
      expect((await patch(product, f.token, job.id, first)).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 0, unpricedTokens: 1200, state: "ok" });
      // Resent: counted once.
      expect((await patch(product, f.token, job.id, first)).status).toBe(200);
      expect((await budget(product)).unpricedTokens).toBe(1200);
      expect(await runSpend(product, job.id)).toEqual([{ usd: 0, tokens: 1200, unpricedTokens: 1200 }]);
      // A running total: the run's figure replaces its earlier one.
      const more = building(lease.leaseEpoch, { tokensIn: 2000, tokensOut: 300, unpricedTokens: 2300 });
      expect((await patch(product, f.token, job.id, more)).status).toBe(200);
      expect((await budget(product)).unpricedTokens).toBe(2300);
      // Not counted against the ceiling: no warning, no pause, no alert.
      const alerts = await api<{ alerts: unknown[] }>("GET", `${P(product)}/alerts?state=open`, { token: ADMIN });
      expect(alerts.body.alerts).toEqual([]);
      // The result brings the USD (Claude's `result`): all priced — the run's and the period's figure fall.
      expect((await setBudget(product, 10)).status).toBe(200);
      const done = { leaseEpoch: lease.leaseEpoch, stage: "testing", result: { outcome: "success" } };
      const priced = { ...done, insights: { tokensIn: 2100, tokensOut: 300, costUsd: 0.5 } };
      expect((await patch(product, f.token, job.id, priced)).status).toBe(200);
      expect(await budget(product)).toMatchObject({ spentUsd: 0.5, unpricedTokens: 0 });
      expect(await runSpend(product, job.id)).toEqual([{ usd: 0.5, tokens: 2400 }]);
    }));

  it("a report fenced after its lease was lost counts as its spend does: the epoch's holder only, once", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("unpriced-fenced");
      expect((await setBudget(product, 10)).status).toBe(200);
      const f = await enroll(product, "f");
      const other = await enroll(product, "other");
      const job = await submit(product, { title: "lost", maxAttempts: 5 });
      const { lease } = (await claim(product, f.token)).body;
      const early = building(lease.leaseEpoch, { tokensIn: 100, unpricedTokens: 100 });
      expect((await patch(product, f.token, job.id, early)).status).toBe(200);
      await expireLeaseNow(product, job.id);
      await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
      expect((await getJob(product, job.id)).stage).toBe("queued");
      const late = building(lease.leaseEpoch, { tokensIn: 400, tokensOut: 100, unpricedTokens: 500 });
      expect((await patch(product, f.token, job.id, late)).body.code).toBe("fenced");
      expect((await budget(product)).unpricedTokens).toBe(500);
      // Resent: refused again, counted once.
      expect((await patch(product, f.token, job.id, late)).body.code).toBe("fenced");
      expect((await budget(product)).unpricedTokens).toBe(500);
      expect(await runSpend(product, job.id)).toEqual([{ usd: 0, tokens: 500, unpricedTokens: 500 }]);
      // Another factory's report for that epoch counts nothing: it did not spend under it.
      const posed = building(lease.leaseEpoch, { tokensIn: 9000, unpricedTokens: 9000 });
      expect((await patch(product, other.token, job.id, posed)).status).toBeGreaterThanOrEqual(400);
      // An older agent says nothing of unpriced tokens: none counted.
      const { lease: next } = (await claim(product, other.token)).body; // f lost it: kept away (core/exclusions)
      const bare = building(next.leaseEpoch, { tokensIn: 50 });
      expect((await patch(product, other.token, job.id, bare)).status).toBe(200);
      expect((await budget(product)).unpricedTokens).toBe(500);
    }));

  it("a bad figure is refused 400 and changes nothing", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("unpriced-bad");
      expect((await setBudget(product, 10)).status).toBe(200);
      const f = await enroll(product, "f");
      const job = await submit(product, { title: "bad" });
      const { lease } = (await claim(product, f.token)).body;
      for (const unpricedTokens of [-1, 1.5, 2e12 + 1, "12"]) {
        const res = await patch(product, f.token, job.id, building(lease.leaseEpoch, { tokensIn: 5, unpricedTokens }));
        expect(res.status).toBe(400);
      }
      expect(await budget(product)).toMatchObject({ spentUsd: 0, unpricedTokens: 0 });
      expect(await runSpend(product, job.id)).toEqual([undefined]);
    }));
});
