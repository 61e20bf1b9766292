// A requeue of a job below a cancelled composite is refused 409 ancestor_cancelled, nothing changed — a child
// dead-lettered before its parent's cancel and a grandchild under a child the cascade has not reached yet, while the
// cascade is still under way and after it finished — so no engine is started for work whose parent is gone. Below a
// merely failed composite the requeue is allowed: failed is not final. Children for a job the cascade has still to
// reach are refused the same way (they were made, answered 201, only to be held and cancelled).
import { describe, expect, it } from "vitest";
import { CANCEL_CHUNK } from "../../src/durable-objects/coordinator/dag/cancel-subtree.ts";
import { ADMIN, addChildren, api, claim, enroll, getJob, type JobView, P, submit } from "./client.ts";
import { alarmUntil, holdAlarm } from "./state.ts";

type Problem = { code?: string; detail?: string; ancestorId?: string };
const act = (product: string, id: string, action: string) =>
  api<JobView & Problem>("POST", `${P(product)}/jobs/${id}/actions/${action}`, { token: ADMIN });
const stats = async (product: string) =>
  (await api<{ counts: Record<string, number> }>("GET", `${P(product)}/stats`, { token: ADMIN })).body.counts;
const many = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `c${i}` }));

/** Claim `jobId` (the one the claim must get) and fail it transiently: with maxAttempts 1 it is dead-lettered. */
async function deadLetter(product: string, token: string, jobId: string): Promise<void> {
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(jobId);
  const r = await api<JobView>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "failure", rc: 1 } },
  });
  expect(r.body.stage).toBe("dead_letter");
}

/** The requeue is refused naming `ancestorId`, and the job is as it was (same stage, same rev). */
async function expectRefused(product: string, job: JobView, ancestorId: string): Promise<void> {
  const before = await getJob(product, job.id);
  const r = await act(product, job.id, "requeue");
  expect(r.status).toBe(409);
  expect(r.body).toMatchObject({ code: "ancestor_cancelled", ancestorId });
  expect(r.body.detail).toContain(`${ancestorId}, a composite job above it, is cancelled`);
  const after = await getJob(product, job.id);
  expect({ stage: after.stage, rev: after.rev }).toEqual({ stage: before.stage, rev: before.rev });
}

describe("a requeue below a cancelled composite", () => {
  it("is refused after the cancel's cascade finished: the dead-lettered child does not run", async () => {
    const product = "requeue-after-cancel";
    const f = await enroll(product, "f");
    const parent = await submit(product, { title: "p", onChildFailure: "continue" });
    const [sibling] = await addChildren(product, parent.id, [{ title: "sibling" }]);
    const [dead] = await addChildren(product, parent.id, [{ title: "dead", maxAttempts: 1, priority: "critical" }]);
    await deadLetter(product, f.token, dead!.id);
    expect((await act(product, parent.id, "cancel")).status).toBe(200);
    expect(await stats(product)).toMatchObject({ cancelled: 2, dead_letter: 1 }); // the cascade is done
    await expectRefused(product, dead!, parent.id);
    // A cancelled job itself is refused by the transition table, as before: cancelled is final.
    expect((await act(product, sibling!.id, "requeue")).body.code).toBe("illegal_transition");
    expect((await claim(product, f.token)).status).toBe(204); // nothing to run
  });

  it("is refused while the cancel's cascade is under way and after it finished; nothing runs", async () => {
    const product = "requeue-under-cancel";
    const f = await enroll(product, "f");
    const parent = await submit(product, { title: "p", onChildFailure: "continue" });
    await addChildren(product, parent.id, many(CANCEL_CHUNK)); // the first chunk: the nested child is left over
    const [dead] = await addChildren(product, parent.id, [{ title: "dead", maxAttempts: 1, priority: "critical" }]);
    await deadLetter(product, f.token, dead!.id);
    const [nested] = await addChildren(product, parent.id, [{ title: "nested" }]);
    const [grand] = await addChildren(product, nested!.id, [{ title: "grand", maxAttempts: 1, priority: "critical" }]);
    await deadLetter(product, f.token, grand!.id); // nested fails child_failed: live for the cascade still
    const release = await holdAlarm(product);
    expect((await act(product, parent.id, "cancel")).status).toBe(200);
    expect((await getJob(product, nested!.id)).stage).toBe("failed"); // the cascade has not reached it yet
    await expectRefused(product, dead!, parent.id);
    await expectRefused(product, grand!, parent.id); // its own parent still live: the one above is cancelled
    await release();
    const counts = await alarmUntil(
      product,
      () => stats(product),
      (c) => c.cancelled === 1 + CANCEL_CHUNK + 1,
    );
    expect(counts).toMatchObject({ cancelled: 1 + CANCEL_CHUNK + 1, dead_letter: 2 });
    await expectRefused(product, dead!, parent.id);
    await expectRefused(product, grand!, nested!.id); // the nearest cancelled one is named
    expect((await claim(product, f.token)).status).toBe(204); // nothing to run
  });

  it("children for a job its cascade has still to reach are refused 409 ancestor_cancelled, none made", async () => {
    const product = "children-under-cancel";
    const parent = await submit(product, { title: "p" });
    await addChildren(product, parent.id, many(CANCEL_CHUNK)); // the first chunk: the nested child is left over
    const [nested] = await addChildren(product, parent.id, [{ title: "nested" }]);
    const release = await holdAlarm(product);
    expect((await act(product, parent.id, "cancel")).status).toBe(200);
    expect((await getJob(product, nested!.id)).stage).toBe("queued"); // the cascade has not reached it yet
    const before = await stats(product);
    const r = await api<Problem>("POST", `${P(product)}/jobs/${nested!.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "late" }] },
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: "ancestor_cancelled", ancestorId: parent.id });
    expect(r.body.detail).toContain(`${parent.id}, a composite job above it, is cancelled`);
    const single = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "late", parentId: nested!.id } },
    });
    expect([single.status, single.body.code]).toEqual([409, "ancestor_cancelled"]);
    expect(await stats(product)).toEqual(before); // nothing made, the nested job not made composite
    expect((await getJob(product, nested!.id)).kind).toBe("task");
    await release();
  });

  it("is allowed below a merely failed composite: failed is not final", async () => {
    const product = "requeue-under-failed";
    const f = await enroll(product, "f");
    const parent = await submit(product, { title: "p" });
    const [dead] = await addChildren(product, parent.id, [{ title: "dead", maxAttempts: 1, priority: "critical" }]);
    await addChildren(product, parent.id, [{ title: "sibling" }]);
    await deadLetter(product, f.token, dead!.id);
    expect((await getJob(product, parent.id)).stage).toBe("failed"); // child_failed (onChildFailure: fail)
    const r = await act(product, dead!.id, "requeue");
    expect(r.status).toBe(200);
    expect(r.body.stage).toBe("queued");
  });
});
