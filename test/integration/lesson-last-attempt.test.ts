// The `retry_exhausted` lesson of a job whose last attempt failed without a message (an engine that died silently)
// says what the coordinator has stored of that attempt — its outcome, its exit code and the job's last progress note
// — where it read only "…; last: failure", nothing an engine or an operator could act on. One with a message still
// says that message.
import { describe, expect, it } from "vitest";
import { api, claim, enroll, P, submit } from "./client.ts";
import { listLessonsUntil } from "./lesson-support.ts";

/** Claim `jobId` as `token`, note progress (`progress`), then report it failed with `result`: dead-lettered. */
async function failWith(product: string, token: string, jobId: string, progress: object, result: object) {
  const c = await claim(product, token);
  expect(c.status).toBe(200);
  const leaseEpoch = c.body.lease.leaseEpoch;
  const built = await api("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch, stage: "building", progress },
  });
  expect(built.status).toBe(200);
  const r = await api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch, stage: "failed", result },
  });
  expect(r.body.stage).toBe("dead_letter");
}

describe("the retry_exhausted lesson of a silent failure", () => {
  it("names its outcome, exit code and the last progress note", async () => {
    const product = "lesson-last-attempt";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "silent", maxAttempts: 1 });
    await failWith(
      product,
      f.token,
      job.id,
      { pct: 40, note: "running the test suite" },
      { outcome: "failure", rc: 137 },
    );
    const page = await listLessonsUntil(product, "?source=auto", (p) => p.items.length === 1);
    expect(page.items[0]?.text).toBe(
      `"silent" failed 1 time and was dead-lettered; last: failure with exit code 137, no message reported; its` +
        ` last progress note: 40% "running the test suite"`,
    );
  });

  it("still says the message of a failure that had one", async () => {
    const product = "lesson-last-attempt-message";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "loud", maxAttempts: 1 });
    const result = { outcome: "failure", rc: 1, message: "tests failed: 3 of 120" };
    await failWith(product, f.token, job.id, { note: "testing" }, result);
    const page = await listLessonsUntil(product, "?source=auto", (p) => p.items.length === 1);
    expect(page.items[0]?.text).toBe(`"loud" failed 1 time and was dead-lettered; last: tests failed: 3 of 120`);
  });
});
