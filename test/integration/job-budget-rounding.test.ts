// A job's own budget counts its runs as the product budget charged them, in workerd (policies/run-spend stores each
// run's mark in whole micro-dollars: core/job-budget `runMark`): two runs that each report $0.1000006 are charged
// $0.200002 in all, and a job whose budget is $0.200002 has then spent it — its retryable failure ends it `failed`
// `budget_exceeded` (not retried, no claim gets it), where the raw marks summed read $0.200001 and queued it for a
// third run with a micro-dollar left. Its runs list the marks as charged.
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, type JobView, P, submit } from "./client";

type Ended = JobView & { lastResult?: { outcome: string; message?: string; retryable?: boolean } };
const failedRetryably = { outcome: "failure" as const, message: "tests red", retryable: true };

describe("a job's spend and the product's charge for it", () => {
  it("agree to the micro-dollar across runs, so the job budget is spent when the product budget says so", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("job-budget-rounding");
      const settings = { retry: { baseSeconds: 0, maxSeconds: 0, jitter: 0 } };
      expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
      const budget = { period: "day", ceilingUsd: 100, onExhausted: "pause" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f");
      const job = await submit(product, { title: "two runs", budget: { usd: 0.200002 }, maxAttempts: 5 });
      const ends: Ended[] = [];
      for (let run = 0; run < 2; run++) {
        const claimed = await claim(product, f.token);
        expect(claimed.status).toBe(200);
        const { leaseEpoch } = claimed.body.lease;
        const json = { leaseEpoch, stage: "failed", result: failedRetryably, insights: { costUsd: 0.1000006 } };
        ends.push((await api<Ended>("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json })).body);
      }
      expect(ends[0]?.stage).toBe("queued");
      const spent = (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body.spentUsd;
      expect(spent).toBe(0.200002);
      expect(ends[1]).toMatchObject({
        stage: "failed",
        lastResult: {
          outcome: "budget_exceeded",
          retryable: false,
          message: "not retried: spent $0.20 of its job budget $0.20: nothing left for another run",
        },
      });
      expect((await claim(product, f.token)).status).toBe(204);
      type Runs = { runs: Array<{ spend?: { usd: number } }> };
      const runs = (await api<Runs>("GET", `${P(product)}/jobs/${job.id}/runs`, { token: ADMIN })).body.runs;
      expect(runs.map((r) => r.spend?.usd)).toEqual([0.100001, 0.100001]);
    }));
});
