// The legacy review endpoints `…/actions/approve|reject` take the same review-round fence as `POST …/reviews`:
// a verdict naming the round its reviewer read is refused 409 conflict, nothing recorded, once the job was rejected,
// requeued and rebuilt since (before, the legacy approve ignored `round` and passed the rework to testing unseen);
// with the current round it counts; `round` on requeue, cancel or ship is a 400 validation_failed.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, mintToken, P, submit } from "./client.ts";

const mint = (product: string, name: string) => mintToken(product, "operator", name);

/** Factory `token` takes the job (claim) and builds it into review. */
async function buildIntoReview(product: string, token: string, jobId: string) {
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(jobId);
  for (const stage of ["building", "review"]) {
    const r = await api("PATCH", `${P(product)}/jobs/${jobId}`, {
      token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage },
    });
    expect(r.body).toMatchObject({ stage });
  }
}

const act = (product: string, jobId: string, action: string, token: string, json: unknown) =>
  api<{ stage: string; code?: string }>("POST", `${P(product)}/jobs/${jobId}/actions/${action}`, { token, json });
const roundOf = async (product: string, jobId: string) =>
  (await api<{ round: number; approvals: number }>("GET", `${P(product)}/jobs/${jobId}/reviews`, { token: ADMIN }))
    .body;

describe("the legacy approve|reject carry the review round", () => {
  it("refuses a stale round 409 with nothing recorded, and counts the current one", async () => {
    const product = "legacy-review-round";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "reviewed", reviewers: 1, onReject: "requeue" });
    await buildIntoReview(product, f.token, job.id);
    const alice = await mint(product, "alice");
    const carol = await mint(product, "carol");
    const read = (await roundOf(product, job.id)).round;
    // While alice looks at the build, carol rejects it (legacy endpoint) and it is built again.
    expect((await act(product, job.id, "reject", carol.token, { note: "redo", round: read })).status).toBe(200);
    await buildIntoReview(product, f.token, job.id);

    const stale = await act(product, job.id, "approve", alice.token, { round: read });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "conflict" });
    expect(await getJob(product, job.id)).toMatchObject({ stage: "review" });
    const now = await roundOf(product, job.id);
    expect(now.approvals).toBe(0);
    expect(now.round).toBeGreaterThan(read);
    // A stale reject is refused the same way: the rework is not failed or requeued by a verdict on the old build.
    expect((await act(product, job.id, "reject", carol.token, { round: read })).status).toBe(409);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "review" });

    const fresh = await act(product, job.id, "approve", alice.token, { round: now.round });
    expect(fresh.status).toBe(200);
    expect(fresh.body.stage).toBe("testing");
  });

  it("refuses a round on an action that is not a verdict, changing nothing", async () => {
    const product = "legacy-review-round-other";
    const job = await submit(product, { title: "queued" });
    for (const action of ["requeue", "cancel", "ship"]) {
      const r = await act(product, job.id, action, ADMIN, { round: job.queuedAt });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "validation_failed" });
    }
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued" });
  });
});
