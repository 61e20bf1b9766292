// A review reject with no note (none, or only blanks) records no automatic lesson: a lesson says what to do
// differently, and with no note there is nothing to learn — it recorded '"X" was rejected in review by carol', which
// every later assignment on that engine then carried. The rejection itself stays on record (the job's review and its
// feedback). A reject with a note records its lesson as before (lessons.test.ts).
import { describe, expect, it } from "vitest";
import { api, claim, enroll, getJob, mintToken, P, submit } from "./client.ts";
import { lessonMirror } from "./lesson-support.ts";

/** A job built by the factory of `token` and waiting in `review` (one reviewer). */
async function inReview(product: string, token: string, title: string) {
  const job = await submit(product, { title, reviewers: 1 });
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(job.id);
  for (const stage of ["building", "review"]) {
    const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage },
    });
    expect(r.status).toBe(200);
  }
  return job;
}

describe("a reject with no note", () => {
  for (const [what, json] of [
    ["no comment", { verdict: "reject" }],
    ["a blank comment", { verdict: "reject", comment: "  \n " }],
  ] as const) {
    it(`with ${what}: no lesson is recorded; the rejection is`, async () => {
      const product = `lesson-reject-${what.replaceAll(" ", "-")}`;
      const f = await enroll(product, "f");
      const job = await inReview(product, f.token, "reviewed");
      const reviewer = await mintToken(product, "operator", "carol");
      const r = await api("POST", `${P(product)}/jobs/${job.id}/reviews`, { token: reviewer.token, json });
      expect(r.status).toBe(201);
      // The mirror is written in the review's own unit: read after its answer, nothing more is coming.
      expect((await lessonMirror(product)).filter((l) => l.trigger === "review_rejected")).toEqual([]);
      const rejected = await getJob(product, job.id);
      expect(rejected.stage).toBe("failed");
      expect(rejected.lastResult).toMatchObject({ message: "rejected by carol" });
    });
  }
});
