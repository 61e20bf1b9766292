// The review gate counts distinct authenticated principals: one operator token approving twice, or under three
// client-typed names through the legacy action, counts once; three distinct operator tokens make a 2-of-3 quorum
// that moves the job to testing; a reject with onReject: requeue appends its comment to the feedback and requeues
// with fresh attempts (so does an operator's requeue from review);
// a reject of a running job takes its lease (epoch + 1, run closed, cancel pushed); GET shows who approved; a
// review naming the round its reviewer read is refused once the job was requeued and rebuilt (no stale approval
// counts for a rework no one looked at).
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, mintToken, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { expireLeaseNow, lapseExclusions } from "./state.ts";

interface ReviewsView {
  round: number;
  required: number;
  approvals: number;
  approvers: string[];
  reviews: Array<{
    reviewer: string;
    reviewerName: string;
    verdict: string;
    comment?: string;
    at: number;
    counted: boolean;
  }>;
}

const mint = (product: string, name: string, role: "operator" | "viewer" = "operator") =>
  mintToken(product, role, name);

/** A job in `review`, built by factory `f` over HTTP. */
async function inReview(product: string, manifest: Record<string, unknown>) {
  const f = await enroll(product, "f");
  const job = await submit(product, { title: "reviewed", ...manifest });
  const c = await claim(product, f.token);
  const epoch = c.body.lease.leaseEpoch;
  await api("PATCH", `${P(product)}/jobs/${job.id}`, {
    token: f.token,
    json: { leaseEpoch: epoch, stage: "building" },
  });
  const done = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
    token: f.token,
    json: { leaseEpoch: epoch, stage: "review" },
  });
  expect(done.body).toMatchObject({ stage: "review" });
  return { job, f };
}

const review = (product: string, jobId: string, token: string, json: unknown) =>
  api<ReviewsView & { job: { stage: string } }>("POST", `${P(product)}/jobs/${jobId}/reviews`, { token, json });
const reviewsOf = async (product: string, jobId: string, token = ADMIN) =>
  (await api<ReviewsView>("GET", `${P(product)}/jobs/${jobId}/reviews`, { token })).body;

describe("approvals count distinct authenticated principals", () => {
  it("one token approving twice, or under three names through the legacy action, counts once", async () => {
    const product = "reviews-one-token";
    const { job } = await inReview(product, { reviewers: 2 });
    const alice = await mint(product, "alice");
    const first = await review(product, job.id, alice.token, { verdict: "approve", comment: "lgtm" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ job: { stage: "review" }, required: 2, approvals: 1, approvers: [alice.id] });
    expect((await review(product, job.id, alice.token, { verdict: "approve" })).body).toMatchObject({
      code: "conflict",
    });
    for (const name of ["a", "b", "c"]) {
      const legacy = await api("POST", `${P(product)}/jobs/${job.id}/actions/approve`, {
        token: alice.token,
        json: { reviewer: name },
      });
      expect(legacy.body).toMatchObject({ code: "conflict" });
    }
    expect(await getJob(product, job.id)).toMatchObject({ stage: "review" });
    expect(await reviewsOf(product, job.id)).toMatchObject({ approvals: 1, approvers: [alice.id] });
  });

  it("2-of-3: three distinct operator tokens, the second approval moves the job to testing", async () => {
    const product = "reviews-two-of-three";
    const { job } = await inReview(product, { reviewers: 2 });
    const [ann, bob, cy] = [await mint(product, "ann"), await mint(product, "bob"), await mint(product, "cy")];
    expect((await review(product, job.id, ann.token, { verdict: "approve" })).body).toMatchObject({
      job: { stage: "review" },
      approvals: 1,
    });
    // The legacy action counts the caller's token too, whatever name it sends.
    const second = await api("POST", `${P(product)}/jobs/${job.id}/actions/approve`, {
      token: bob.token,
      json: { reviewer: "ann", note: "fine by me" },
    });
    expect(second.body).toMatchObject({ stage: "testing" });
    const late = await review(product, job.id, cy.token, { verdict: "approve" });
    expect(late.body).toMatchObject({ code: "illegal_transition" });

    const view = await reviewsOf(product, job.id);
    expect(view).toMatchObject({ required: 2, approvals: 2, approvers: [ann.id, bob.id] });
    expect(view.reviews).toEqual([
      expect.objectContaining({ reviewer: ann.id, reviewerName: "ann", verdict: "approve", counted: true }),
      expect.objectContaining({ reviewer: bob.id, reviewerName: "bob", comment: "fine by me", counted: true }),
    ]);
  });

  it("the admin token is one reviewer however often it approves", async () => {
    const product = "reviews-admin";
    const { job } = await inReview(product, { reviewers: 2 });
    await review(product, job.id, ADMIN, { verdict: "approve" });
    const again = await api("POST", `${P(product)}/jobs/${job.id}/actions/approve`, {
      token: ADMIN,
      json: { reviewer: "bob" },
    });
    expect(again.body).toMatchObject({ code: "conflict" });
    expect(await reviewsOf(product, job.id)).toMatchObject({ approvals: 1, approvers: ["admin"] });
  });

  it("viewers read the reviews but cannot review; a factory (the builder) cannot review", async () => {
    const product = "reviews-roles";
    const { job, f } = await inReview(product, { reviewers: 1 });
    const viewer = await mint(product, "v", "viewer");
    expect((await review(product, job.id, viewer.token, { verdict: "approve" })).status).toBe(403);
    expect((await review(product, job.id, f.token, { verdict: "approve" })).status).toBe(403);
    expect((await api("GET", `${P(product)}/jobs/${job.id}/reviews`, { token: viewer.token })).status).toBe(200);
    expect((await review(product, job.id, ADMIN, { verdict: "maybe" })).body).toMatchObject({
      code: "validation_failed",
    });
    expect((await review(product, job.id, ADMIN, { verdict: "approve", reviewer: "x" })).status).toBe(400);
    expect((await review(product, job.id, ADMIN, { verdict: "approve", comment: "漢".repeat(167) })).status).toBe(400);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "review" });
  });
});

describe("reject", () => {
  it("with onReject: requeue, appends the comment to the feedback and requeues the job", async () => {
    const product = "reviews-reject-requeue";
    const { job } = await inReview(product, { reviewers: 1, onReject: "requeue" });
    const carol = await mint(product, "carol");
    const r = await review(product, job.id, carol.token, { verdict: "reject", comment: "use the new API" });
    expect(r.status).toBe(201);
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "queued", feedback: "carol: use the new API" });
    expect((await reviewsOf(product, job.id)).reviews.at(-1)).toMatchObject({
      reviewer: carol.id,
      verdict: "reject",
      comment: "use the new API",
      counted: false,
    });
    const audit = await until(
      () =>
        api<{ items: Array<{ action: string; actor: string; detail: Record<string, unknown> }> }>(
          "GET",
          `${P(product)}/history?kind=audit`,
          { token: ADMIN },
        ),
      (a) => a.body.items.some((i) => i.action === "job.review"),
    );
    expect(audit.body.items.find((i) => i.action === "job.review")).toMatchObject({
      actor: "operator:carol",
      detail: { verdict: "reject", reviewer: carol.id, from: "review", to: "queued" },
    });
  });

  it("with onReject: requeue, gives the rework fresh attempts: its one lost lease retries it, not dead-letters it", async () => {
    // Built on attempt 2 of 2 (the first failed): with the attempt kept, the rework was claimed as attempt 3 of 2
    // and its first lost lease dead-lettered it ("lease expired on attempt 3 of 2").
    const product = "reviews-reject-attempts";
    const f = await enroll(product, "f");
    const g = await enroll(product, "g");
    const job = await submit(product, { title: "x", reviewers: 1, onReject: "requeue", maxAttempts: 2 });
    const path = `${P(product)}/jobs/${job.id}`;
    let c = await claim(product, f.token);
    const failure = { outcome: "failure", message: "flaky" };
    await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: failure },
    });
    await api("POST", `${path}/actions/requeue`, { token: ADMIN }); // skips the backoff; attempt kept (still queued)
    c = await claim(product, g.token);
    expect(c.body.job.attempt).toBe(2);
    for (const stage of ["building", "review"]) {
      await api("PATCH", path, { token: g.token, json: { leaseEpoch: c.body.lease.leaseEpoch, stage } });
    }
    const carol = await mint(product, "carol");
    expect((await review(product, job.id, carol.token, { verdict: "reject", comment: "redo" })).status).toBe(201);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", attempt: 0 });
    await lapseExclusions(product, job.id);
    c = await claim(product, f.token);
    expect(c.body.job).toMatchObject({ id: job.id, attempt: 1 });
    await expireLeaseNow(product, job.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", attempt: 1, maxAttempts: 2 });
  });

  it("an operator's requeue from review also starts the rework with fresh attempts", async () => {
    const product = "reviews-requeue-attempts";
    const { job } = await inReview(product, { reviewers: 1, maxAttempts: 3 });
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN })).status).toBe(200);
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", attempt: 0 });
  });

  it("of a running job takes its lease: epoch + 1, run closed, cancel pushed, the holder fenced out", async () => {
    const product = "reviews-reject-leased";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x", reviewers: 1 });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    socket.send({ type: "progress", id: "p", jobId: job.id, leaseEpoch: a.leaseEpoch, stage: "building" });
    await socket.next("ack");
    const dan = await mint(product, "dan");
    const r = await review(product, job.id, dan.token, { verdict: "reject", comment: "wrong approach" });
    expect(r.body).toMatchObject({ job: { stage: "failed", leaseEpoch: a.leaseEpoch + 1 } });
    const rejected = { jobId: job.id, leaseEpoch: a.leaseEpoch, code: "review_rejected" };
    expect(await socket.next("cancel", 3000)).toMatchObject(rejected);
    const runs = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) =>
      s.storage.sql.exec<{ outcome: string | null }>("SELECT outcome FROM runs WHERE job_id = ?", job.id).toArray(),
    );
    expect(runs).toEqual([{ outcome: "handed_back" }]); // a reviewer's verdict, not a cancel
    socket.send({ type: "complete", id: "c", jobId: job.id, leaseEpoch: a.leaseEpoch, result: { outcome: "success" } });
    expect((await socket.next<{ code: string }>("error")).code).toBe("fenced");
    expect(await getJob(product, job.id)).toMatchObject({ stage: "failed", feedback: "dan: wrong approach" });
    socket.close();
  });
});

describe("a review fenced to the round its reviewer read", () => {
  it("is refused 409 once the job was rejected, requeued and rebuilt; with the new round it counts", async () => {
    const product = "reviews-round-fence";
    const { job, f } = await inReview(product, { reviewers: 1, onReject: "requeue" });
    const alice = await mint(product, "alice");
    const carol = await mint(product, "carol");
    const read = (await reviewsOf(product, job.id, alice.token)).round;
    expect(read).toBe((await getJob(product, job.id)).queuedAt);
    // While alice looks at the build, carol rejects it and it is built again.
    expect((await review(product, job.id, carol.token, { verdict: "reject", comment: "redo" })).status).toBe(201);
    const c = await claim(product, f.token);
    for (const stage of ["building", "review"]) {
      await api("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: { leaseEpoch: c.body.lease.leaseEpoch, stage },
      });
    }
    const stale = await review(product, job.id, alice.token, { verdict: "approve", round: read });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "conflict" });
    expect(await getJob(product, job.id)).toMatchObject({ stage: "review" });
    const now = await reviewsOf(product, job.id);
    expect(now).toMatchObject({ approvals: 0 });
    expect(now.round).toBeGreaterThan(read);
    const fresh = await review(product, job.id, alice.token, { verdict: "approve", round: now.round });
    expect(fresh.status).toBe(201);
    expect(fresh.body.job.stage).toBe("testing");
  });
});
