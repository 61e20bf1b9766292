// A job whose engine keeps being rate limited is bounded (core/rate-limit, jobs/report `requeueRateLimited`): the
// first rate limit requeues it at once (another factory may take it while the breaker holds the throttled one),
// each later one waits the product's retry backoff, and only the first REFUNDED_RATE_LIMITS are refunded — past
// them each counts as an attempt, so maxAttempts dead-letters a job an engine throttles forever instead of
// handing it out again and again (it was refunded and re-offered at once, every time, without end).
import { describe, expect, it } from "vitest";
import { REFUNDED_RATE_LIMITS } from "../../src/core/rate-limit.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client.ts";

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
