// A job's retries are bounded across its runs, not per run: in money and in refunded rate limits. Its budget is
// charged for every run (a retry does not start a fresh allowance) and a job an engine keeps rate limiting is
// refunded only REFUNDED_RATE_LIMITS times.

import { describe, expect, it } from "vitest";
import { REFUNDED_RATE_LIMITS } from "../../src/core/rate-limit.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";

// A job's budget bounds the job, not each run (policies/run-spend `jobSpend`): a job that spent part of its
// `budget.usd` in a failed run is stopped budget_exceeded when a retry takes it over — before, each retry, rate
// limit or requeue started a fresh allowance. And a run's stored cost is what the budget was charged
// (jobs/runs `runCost`): a run cancelled after a costly progress report, or completing with a lower figure, had been
// stored at its last report's cost or none, so run history, track records and experiments read too little.

type Failed = JobView & { lastResult?: { outcome: string; message?: string } };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Failed>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });

async function runCosts(product: string, jobId: string) {
  type Runs = { runs: Array<{ result?: { outcome: string }; insights?: { costUsd?: number } }> };
  const { runs } = (await api<Runs>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })).body;
  return runs.map((r) => [r.result?.outcome, r.insights?.costUsd]);
}

describe("a job budget across runs", () => {
  it("counts what earlier runs spent: the retry that takes the job past budget.usd ends it", async () => {
    const product = "job-budget-across-runs";
    const retry = { retry: { baseSeconds: 0, maxSeconds: 0, jitter: 0 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: retry })).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "pricey", budget: { usd: 1 }, maxAttempts: 3 });
    const first = (await claim(product, f.token)).body.lease.leaseEpoch;
    const failed = await patch(product, f.token, job.id, {
      leaseEpoch: first,
      stage: "failed",
      result: { outcome: "failure", rc: 1 },
      insights: { costUsd: 0.6 },
    });
    expect(failed.body.stage).toBe("queued"); // retried: $0.60 of $1 spent
    const second = (await claim(product, f.token)).body.lease.leaseEpoch;
    const within = await patch(product, f.token, job.id, { leaseEpoch: second, insights: { costUsd: 0.4 } });
    expect(within.body.stage).not.toBe("failed"); // $1.00 in all: exactly the budget is within it
    const over = await patch(product, f.token, job.id, { leaseEpoch: second, insights: { costUsd: 0.5 } });
    expect(over.body).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    expect(over.body.lastResult?.message).toBe("cost $1.10 exceeds the job budget $1.00");
    expect(await runCosts(product, job.id)).toEqual([
      ["failure", 0.6],
      ["budget_exceeded", 0.5],
    ]);
  });

  it("counts tokens across runs too", async () => {
    const product = "job-budget-tokens-across-runs";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "chatty", budget: { tokens: 1000 } });
    const first = (await claim(product, f.token)).body.lease.leaseEpoch;
    await patch(product, f.token, job.id, { leaseEpoch: first, insights: { tokensIn: 700 } });
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN })).status).toBe(200);
    const second = (await claim(product, f.token)).body.lease.leaseEpoch;
    const over = await patch(product, f.token, job.id, { leaseEpoch: second, insights: { tokensOut: 400 } });
    expect(over.body).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
  });
});

describe("a run's stored cost", () => {
  it("is the highest it reported: cancelled after progress, or completing with a lower figure", async () => {
    const product = "run-cost-high-water";
    const f = await enroll(product, "f", [], 2);
    const a = await submit(product, { title: "cancelled" });
    const b = await submit(product, { title: "lower final" });
    const ea = (await claim(product, f.token)).body.lease.leaseEpoch;
    const eb = (await claim(product, f.token)).body.lease.leaseEpoch;
    await patch(product, f.token, a.id, { leaseEpoch: ea, stage: "building", insights: { costUsd: 5 } });
    await patch(product, f.token, b.id, { leaseEpoch: eb, stage: "building", insights: { costUsd: 5 } });
    expect((await api("POST", `${P(product)}/jobs/${a.id}/actions/cancel`, { token: ADMIN })).status).toBe(200);
    const done = await patch(product, f.token, b.id, { leaseEpoch: eb, stage: "testing", insights: { costUsd: 1 } });
    expect(done.body.stage).toBe("testing");
    expect(await runCosts(product, a.id)).toEqual([["cancelled", 5]]);
    expect(await runCosts(product, b.id)).toEqual([["success", 5]]);
  });
});

describe("wall time at renewal", () => {
  it("a holder that renews but never reports is stopped once past budget.wallSeconds and its grace", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const product = "job-budget-wall-renew";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "silent", budget: { wallSeconds: 60 } });
    const { lease } = (await claim(product, f.token)).body;
    const renew = () =>
      api<{ expiresAt: number; ttlSeconds: number; code?: string }>(
        "POST",
        `${P(product)}/jobs/${job.id}/lease/renew`,
        { token: f.token, json: { leaseEpoch: lease.leaseEpoch } },
      );
    expect((await renew()).body.ttlSeconds).toBeGreaterThan(0);
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
      s.storage.sql.exec("UPDATE runs SET started_at = ? WHERE job_id = ?", Date.now() - 127_000, job.id); // 60 + 66 s
    });
    const late = await renew();
    expect(late.status).toBe(200);
    expect(late.body.ttlSeconds).toBe(0); // the lease is gone: it expires now
    const now = (await api<Failed>("GET", `${P(product)}/jobs/${job.id}`, { token: ADMIN })).body;
    expect(now).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    expect((await renew()).status).toBe(409); // fenced from here on
  });
});

// A job whose engine keeps being rate limited is bounded (core/rate-limit, jobs/report `requeueRateLimited`): the
// first rate limit requeues it at once (another factory may take it while the breaker holds the throttled one),
// each later one waits the product's retry backoff, and only the first REFUNDED_RATE_LIMITS are refunded — past
// them each counts as an attempt, so maxAttempts dead-letters a job an engine throttles forever instead of
// handing it out again and again (it was refunded and re-offered at once, every time, without end).

const rateLimited = (product: string, token: string, jobId: string, epoch: number) =>
  api<JobView & { notBefore?: number }>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch: epoch, stage: "failed", result: { outcome: "rate_limited", retryAfterSeconds: 60 } },
  });

const settings = (product: string, json: Record<string, unknown>) =>
  api("PATCH", `${P(product)}/settings`, { token: ADMIN, json });

describe("rate limits, bounded", () => {
  it("refunds the first five, then counts: maxAttempts 2 dead-letters the job at its 7th rate limit", async () => {
    const product = "rate-limit-bounded";
    expect((await settings(product, { retry: { baseSeconds: 0, maxSeconds: 0, jitter: 0 } })).status).toBe(200);
    // Each factory's breaker holds it for 60 s after its rate limit, so every run lands on a fresh factory.
    const fleet = await Promise.all(Array.from({ length: 8 }, (_, i) => enroll(product, `f${i}`)));
    const job = await submit(product, { title: "throttled forever", maxAttempts: 2 });
    const stages: Array<[string, number]> = [];
    for (const f of fleet) {
      const c = await claim(product, f.token);
      if (c.status === 204) break;
      expect(c.body.job.id).toBe(job.id);
      const r = await rateLimited(product, f.token, job.id, c.body.lease.leaseEpoch);
      expect(r.status).toBe(200);
      stages.push([r.body.stage, r.body.attempt]);
      if (r.body.stage !== "queued") break;
    }
    const refunded = Array.from({ length: REFUNDED_RATE_LIMITS }, (): [string, number] => ["queued", 0]);
    expect(stages).toEqual([...refunded, ["queued", 1], ["dead_letter", 2]]);
    expect((await getJob(product, job.id)).lastResult).toMatchObject({ outcome: "rate_limited" });
  });

  it("requeues the first rate limit at once and backs off the second by the retry policy", async () => {
    const product = "rate-limit-backoff";
    expect((await settings(product, { retry: { baseSeconds: 600, maxSeconds: 600, jitter: 0 } })).status).toBe(200);
    const [f1, f2, f3] = await Promise.all(["f1", "f2", "f3"].map((n) => enroll(product, n)));
    const job = await submit(product, { title: "throttled" });
    const first = await claim(product, f1!.token);
    const r1 = await rateLimited(product, f1!.token, job.id, first.body.lease.leaseEpoch);
    expect(r1.body).toMatchObject({ stage: "queued", attempt: 0 });
    expect(r1.body.notBefore).toBeUndefined();
    const second = await claim(product, f2!.token); // at once, on another factory
    expect(second.body.job.id).toBe(job.id);
    const before = Date.now();
    const r2 = await rateLimited(product, f2!.token, job.id, second.body.lease.leaseEpoch);
    expect(r2.body).toMatchObject({ stage: "queued", attempt: 0 });
    expect(r2.body.notBefore).toBeGreaterThanOrEqual(before + 600_000);
    expect((await claim(product, f3!.token)).status).toBe(204); // held by the backoff, though f3 is free
  });
});
