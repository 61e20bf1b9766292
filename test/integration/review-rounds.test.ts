// A review counts only in the round it was given in — the job's current attempt, since it last entered `queued`.
// The round was told by time alone (an approval at or after the job's `queuedAt`), and a Durable Object's clock
// moves only between its events: an approval and a reject-with-requeue recorded in the same millisecond put the
// approval at the new round's very start. Once the job was rebuilt that stale approval counted towards the quorum
// (one fresh approval short of it shipped the job on), and its reviewer could not approve the new work (409 "already
// approved"). A review now carries the round it was given in. (Found by a concurrency reviewer.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ReviewInput } from "../../src/durable-objects/coordinator/policies/reviews.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";

async function mint(product: string, name: string) {
  const r = await api<{ id: string; token: string }>("POST", `${P(product)}/tokens`, {
    token: ADMIN,
    json: { role: "operator", name },
  });
  if (r.status !== 201) throw new Error(`mint ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Claims the job with factory token `token` and reports it built, into `review`. */
async function build(product: string, jobId: string, token: string) {
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(jobId);
  const epoch = c.body.lease.leaseEpoch;
  const path = `${P(product)}/jobs/${jobId}`;
  await api("PATCH", path, { token, json: { leaseEpoch: epoch, stage: "building" } });
  const done = await api("PATCH", path, { token, json: { leaseEpoch: epoch, stage: "review" } });
  expect(done.body).toMatchObject({ stage: "review" });
}

type Coordinator = { review(productId: string, jobId: string, input: ReviewInput): Promise<{ ok: boolean }> };

describe("review rounds", () => {
  it("an approval given in the millisecond of a reject-with-requeue does not count once the job is rebuilt", async () => {
    const product = "review-rounds-same-ms";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "two approvals", reviewers: 2, onReject: "requeue" });
    await build(product, job.id, f.token);
    const [ann, bob, cid] = [await mint(product, "ann"), await mint(product, "bob"), await mint(product, "cid")];

    // Ann approves and Bob rejects as two calls the coordinator handles within one millisecond of its clock.
    await runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
      const coordinator = instance as unknown as Coordinator;
      const realNow = Date.now;
      const frozen = realNow();
      Date.now = () => frozen;
      try {
        const approve = { by: { id: ann.id, name: "ann" }, verdict: "approve", actor: "operator:ann" } as const;
        const reject = {
          by: { id: bob.id, name: "bob" },
          verdict: "reject",
          comment: "redo",
          actor: "operator:bob",
        } as const;
        expect((await coordinator.review(product, job.id, approve)).ok).toBe(true);
        expect((await coordinator.review(product, job.id, reject)).ok).toBe(true);
      } finally {
        Date.now = realNow;
      }
    });
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued" });

    await build(product, job.id, f.token); // the second attempt, in review again
    const fresh = await api<{ approvals: number }>("GET", `${P(product)}/jobs/${job.id}/reviews`, { token: ADMIN });
    expect(fresh.body.approvals).toBe(0);
    // One approval of the new work is one of two: the job waits in review.
    const first = await api("POST", `${P(product)}/jobs/${job.id}/reviews`, {
      token: cid.token,
      json: { verdict: "approve" },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ approvals: 1, job: { stage: "review" } });
    // Ann may approve the new work; hers is the second approval of this round.
    const again = await api("POST", `${P(product)}/jobs/${job.id}/reviews`, {
      token: ann.token,
      json: { verdict: "approve" },
    });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ approvals: 2, job: { stage: "testing" } });
  });
});
