// A job's moves count only where they are legal: every illegal transition is refused with a clear 409 and changes
// nothing, and a review counts only in the round (attempt) it was given in.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ReviewInput } from "../../src/durable-objects/coordinator/policies/reviews.ts";
import { ADMIN, api, claim, enroll, getJob, mintToken, P, submit } from "./client.ts";

// Every illegal transition is refused with a clear 409 and changes nothing.

async function inStage(product: string, stage: "queued" | "assigned" | "building" | "testing" | "review" | "shipped") {
  const f = await enroll(product, `f-${stage}-${Math.random().toString(36).slice(2, 8)}`);
  const job = await submit(product, { title: stage, reviewers: stage === "review" ? 1 : 0 });
  if (stage === "queued") return { job, f };
  const path = `${P(product)}/jobs/${job.id}`;
  const c = await claim(product, f.token);
  expect(c.body.job.id).toBe(job.id);
  if (stage === "assigned") return { job, f };
  await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
  if (stage === "building") return { job, f };
  await api("PATCH", path, {
    token: f.token,
    json: { leaseEpoch: 1, stage: stage === "review" ? "review" : "testing" },
  });
  if (stage === "shipped") await api("POST", `${path}/actions/ship`, { token: ADMIN });
  return { job, f };
}

describe("illegal transitions", () => {
  const operatorCases = [
    ["queued", "ship"],
    ["queued", "approve"],
    ["queued", "reject"],
    ["assigned", "ship"],
    ["building", "ship"],
    ["review", "ship"],
    ["testing", "approve"],
    ["shipped", "requeue"],
    ["shipped", "cancel"],
    ["shipped", "reject"],
  ] as const;

  for (const [stage, action] of operatorCases) {
    it(`refuses the operator action ${action} on a ${stage} job, unchanged`, async () => {
      const product = `illegal-op-${stage}-${action}`;
      const { job } = await inStage(product, stage);
      const before = await getJob(product, job.id);
      const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/${action}`, { token: ADMIN });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "illegal_transition", from: stage });
      expect(String((r.body as { detail: string }).detail)).toContain(stage);
      expect(await getJob(product, job.id)).toEqual(before);
    });
  }

  const factoryCases = [
    ["assigned", "testing"],
    ["assigned", "review"],
    ["assigned", "shipped"],
    ["building", "shipped"],
    ["building", "queued"],
    ["building", "review"], // manifest has no review gate: success goes to testing
    ["building", "cancelled"],
  ] as const;

  for (const [stage, to] of factoryCases) {
    it(`refuses a factory moving a ${stage} job to ${to}, unchanged`, async () => {
      const product = `illegal-f-${stage}-${to}`;
      const { job, f } = await inStage(product, stage);
      const before = await getJob(product, job.id);
      const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: { leaseEpoch: 1, stage: to },
      });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "illegal_transition" });
      expect(await getJob(product, job.id)).toEqual(before);
    });
  }

  it("walks the happy path with a review gate: building → review → approve×2 → testing → shipped", async () => {
    const product = "legal-review";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "r", reviewers: 2 });
    const path = `${P(product)}/jobs/${job.id}`;
    await claim(product, f.token);
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    expect((await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "review" } })).status).toBe(200);
    // Approvals count per authenticated principal (core/review): the admin is one reviewer, an operator token another.
    const bob = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "operator", name: "bob" },
    });
    const a1 = await api("POST", `${path}/actions/approve`, { token: ADMIN, json: { reviewer: "ann" } });
    expect(a1.body).toMatchObject({ stage: "review" });
    const dup = await api("POST", `${path}/actions/approve`, { token: ADMIN, json: { reviewer: "bob" } });
    expect(dup.body).toMatchObject({ code: "conflict" });
    const a2 = await api("POST", `${path}/actions/approve`, { token: bob.body.token });
    expect(a2.body).toMatchObject({ stage: "testing" });
    const shipped = await api("POST", `${path}/actions/ship`, { token: ADMIN });
    expect(shipped.body).toMatchObject({ stage: "shipped" });
  });

  it("cancels a running job and fences its holder out", async () => {
    const product = "legal-cancel";
    const { job, f } = await inStage(product, "building");
    const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN });
    expect(r.body).toMatchObject({ stage: "cancelled", leaseEpoch: 2 });
    const late = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: 1, stage: "testing" },
    });
    expect(late.body).toMatchObject({ code: "fenced" });
  });
});

// A review counts only in the round it was given in — the job's current attempt, since it last entered `queued`.
// The round was told by time alone (an approval at or after the job's `queuedAt`), and a Durable Object's clock
// moves only between its events: an approval and a reject-with-requeue recorded in the same millisecond put the
// approval at the new round's very start. Once the job was rebuilt that stale approval counted towards the quorum
// (one fresh approval short of it shipped the job on), and its reviewer could not approve the new work (409 "already
// approved"). A review now carries the round it was given in. (Found by a concurrency reviewer.)

const mint = (product: string, name: string) => mintToken(product, "operator", name);

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

type Coordinator = {
  review(productId: string, jobId: string, input: ReviewInput, caller: string): Promise<{ ok: boolean }>;
};

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
        expect((await coordinator.review(product, job.id, approve, "admin")).ok).toBe(true);
        expect((await coordinator.review(product, job.id, reject, "admin")).ok).toBe(true);
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
