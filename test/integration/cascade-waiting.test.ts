// A queued job below a composite whose cancel is still cascading says why it waits truly: `ancestor_cancelled`,
// naming the cancelled composite (the one dispatch's own hold, dag/cancel-subtree `cascadeHold`, stops at), since
// that cancel — on GET …/jobs/{id}, the list, explain and the tree alike, for a child and for a grandchild under a
// live child the cascade has not reached. Before, with a capable factory connected, each said `dispatching` while
// dispatch skipped it, until the cascade reached it. The same job below no cascade still says `dispatching`.
import { describe, expect, it } from "vitest";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import { CANCEL_CHUNK } from "../../src/durable-objects/coordinator/dag/cancel-subtree.ts";
import { WaitingReasonSchema } from "../../src/shared/api-policies.ts";
import { ADMIN, addChildren, api, claim, enroll, getJob, type JobView, P, submit } from "./client.ts";
import { holdAlarm } from "./state.ts";

type WithReason = JobView & { waitingReason: WaitingReason | null };
interface Node {
  id: string;
  waitingReason: WaitingReason | null;
  children?: Node[];
}

const many = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `c${i}` }));

/** The job's reason from GET …/jobs/{id}, checked to be the list's (newest first) and explain's too. */
async function reasonOf(product: string, id: string): Promise<WaitingReason | null> {
  const one = await api<WithReason>("GET", `${P(product)}/jobs/${id}`, { token: ADMIN });
  const page = await api<{ jobs: WithReason[] }>("GET", `${P(product)}/jobs?limit=500`, { token: ADMIN });
  expect(page.body.jobs.find((j) => j.id === id)?.waitingReason).toEqual(one.body.waitingReason);
  const explained = await api<{ waitingReason: WaitingReason | null }>("GET", `${P(product)}/jobs/${id}/explain`, {
    token: ADMIN,
  });
  expect(explained.body.waitingReason).toEqual(one.body.waitingReason);
  if (one.body.waitingReason) expect(WaitingReasonSchema.parse(one.body.waitingReason)).toBeTruthy();
  return one.body.waitingReason;
}

describe("a job below a cancel cascade still under way", () => {
  it("says ancestor_cancelled naming the cancelled composite, not dispatching", async () => {
    const product = "cascade-waiting";
    const release = await holdAlarm(product);
    const parent = await submit(product, { title: "p" });
    await addChildren(product, parent.id, many(CANCEL_CHUNK));
    const [late, nested] = await addChildren(product, parent.id, [{ title: "late" }, { title: "nested" }]);
    const [grandchild] = await addChildren(product, nested!.id, [{ title: "grandchild" }]);
    const free = await submit(product, { title: "below no cascade" });
    // A capable HTTP factory polls: it counts as connected, and its claim gets nothing of the cascade's subtree.
    const f = await enroll(product, "f", [], 4);
    const cancel = await api("POST", `${P(product)}/jobs/${parent.id}/actions/cancel`, { token: ADMIN });
    expect(cancel.status).toBe(200);
    expect((await claim(product, f.token)).body.job.id).toBe(free.id);
    expect((await claim(product, f.token)).status).toBe(204);
    const cancelledAt = (await getJob(product, parent.id)).updatedAt;

    for (const job of [late!, grandchild!]) {
      expect((await getJob(product, job.id)).stage).toBe("queued");
      const r = await reasonOf(product, job.id);
      expect(r).toMatchObject({ code: "ancestor_cancelled", since: cancelledAt, detail: { ancestorId: parent.id } });
      expect(r?.message).toContain(parent.id);
    }
    // The tree of the live nested composite: its queued child says the same.
    const tree = await api<{ root: Node }>("GET", `${P(product)}/jobs/${nested!.id}/tree`, { token: ADMIN });
    expect(tree.body.root.children?.[0]).toMatchObject({
      id: grandchild!.id,
      waitingReason: { code: "ancestor_cancelled", detail: { ancestorId: parent.id } },
    });
    await release();
  });

  it("a queued job below no cascade a capable factory could take still says dispatching", async () => {
    const product = "cascade-waiting-none";
    const parent = await submit(product, { title: "p" });
    const [child] = await addChildren(product, parent.id, [{ title: "c" }]);
    const f = await enroll(product, "f");
    await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
    expect((await reasonOf(product, child!.id))?.code).toBe("dispatching");
  });
});
