// A job's progress note belongs to the attempt that sent it: a new lease starts with none (coordinator/jobs/rows
// `moveJob`), so the `retry_exhausted` lesson of a last attempt that failed silently without a note no longer quotes
// an earlier attempt's note as "its last progress note", and the job's view during attempt 2 shows no attempt-1 note.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";
import { listLessonsUntil } from "./lesson-support.ts";

describe("a progress note across attempts", () => {
  it("is not carried into the next attempt, nor into its lesson", async () => {
    const product = "lesson-attempt-progress";
    // The retry at once, and the failures counted against no breaker: the same factory claims attempt 2.
    const settings = { retry: { baseSeconds: 0, maxSeconds: 0, jitter: 0 }, breaker: { failureThreshold: 1000 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "flaky", maxAttempts: 2 });
    const path = `${P(product)}/jobs/${job.id}`;
    const attempts = [
      { progress: { pct: 40, note: "cloning the repository" }, result: { outcome: "failure", rc: 1, retryable: true } },
      { result: { outcome: "failure", rc: 137 } },
    ];
    for (const [i, a] of attempts.entries()) {
      const c = await claim(product, f.token);
      expect(c.body.job.id).toBe(job.id);
      const leaseEpoch = c.body.lease.leaseEpoch;
      if (i === 1) expect((await getJob(product, job.id)).progress).toBeUndefined();
      const built = await api("PATCH", path, {
        token: f.token,
        json: { leaseEpoch, stage: "building", ...(a.progress ? { progress: a.progress } : {}) },
      });
      expect(built.status).toBe(200);
      const r = await api<{ stage: string }>("PATCH", path, {
        token: f.token,
        json: { leaseEpoch, stage: "failed", result: a.result },
      });
      expect(r.body.stage).toBe(i === 0 ? "queued" : "dead_letter");
    }
    const page = await listLessonsUntil(product, "?source=auto", (p) => p.items.length === 1);
    expect(page.items[0]?.text).toBe(
      `"flaky" failed 2 times and was dead-lettered; last: failure with exit code 137, no message reported`,
    );
  });
});
