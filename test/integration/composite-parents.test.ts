// A composite parent's own life: its waiting reason counts children by the gate's own "done" (a child in testing
// is not done) and counts every child, past 1000; cancelling it cancels its whole subtree — a running child loses
// its lease with a cancel pushed, each child's feed names the parent, the parent's audit has the count — and a
// subtree bigger than one unit's chunk is finished by the alarm, none of what it has still to reach dispatched
// meanwhile (not its parent's children, not a grandchild under a child not yet cancelled: no push, no claim). The
// audit's `more` is that parent's own cascade, not another still under way, and a cancel reads its own cascade's rows
// along their index (it walked every other cascade's rows, once per composite it reached).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  CANCEL_CHUNK,
  ROOT_LEFT_SQL,
  ROOT_NEXT_SQL,
} from "../../src/durable-objects/coordinator/dag/cancel-subtree.ts";
import { ADMIN, api, claim, enroll, eventsOf, getJob, type JobView, P, submit, until } from "./client.ts";
import { auditDelivered } from "./history-wait.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { alarmUntil, holdAlarm, queryPlan } from "./state.ts";

type Job = JobView & { lastResult?: { message?: string }; waitingReason?: { message?: string } };
const act = (product: string, id: string, action: string) =>
  api<JobView>("POST", `${P(product)}/jobs/${id}/actions/${action}`, { token: ADMIN });
const addChildren = (product: string, parentId: string, children: Array<Record<string, unknown>>) =>
  api<{ children: JobView[] }>("POST", `${P(product)}/jobs/${parentId}/children`, { token: ADMIN, json: { children } });
const stats = async (product: string) =>
  (await api<{ counts: Record<string, number> }>("GET", `${P(product)}/stats`, { token: ADMIN })).body.counts;
const auditOf = async (product: string, jobId: string, action: string) => {
  const read = () =>
    api<{ items: Array<{ action: string; detail: Record<string, unknown> }> }>(
      "GET",
      `${P(product)}/history?kind=audit&jobId=${jobId}`,
      { token: ADMIN },
    );
  const r = await until(read, (a) => a.body.items.some((i) => i.action === action), 20_000);
  return r.body.items.filter((i) => i.action === action);
};

const many = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `c${i}` }));

/** Claim one job over HTTP and build it into testing; its id. */
async function buildOne(product: string, token: string): Promise<string> {
  const c = await claim(product, token);
  const path = `${P(product)}/jobs/${c.body.job.id}`;
  for (const stage of ["building", "testing"]) {
    const r = await api("PATCH", path, { token, json: { leaseEpoch: c.body.lease.leaseEpoch, stage } });
    expect(r.status).toBe(200);
  }
  return c.body.job.id;
}

describe("a composite parent's waiting reason", () => {
  it("does not count children in testing as done: its gate waits for them to ship", async () => {
    const product = "composite-testing-children";
    const f = await enroll(product, "f", [], 2);
    const parent = await submit(product, { title: "p", children: [{ title: "a" }, { title: "b" }] });
    await buildOne(product, f.token);
    await buildOne(product, f.token);
    const p = (await getJob(product, parent.id)) as Job;
    expect(p.stage).toBe("blocked"); // the gate (core/composite childEnded) still waits
    expect(p.waitingReason?.message).toBe("waiting for its children: 0 of 2 done");
  });

  it("counts every child, not the first 1000", async () => {
    const product = "composite-1500-children";
    const parent = await submit(product, { title: "p" });
    for (let k = 0; k < 3; k++) {
      const r = await addChildren(
        product,
        parent.id,
        Array.from({ length: 500 }, (_, i) => ({ title: `c${k}-${i}` })),
      );
      expect(r.status).toBe(201);
    }
    const p = (await getJob(product, parent.id)) as Job;
    expect(p.waitingReason?.message).toBe("waiting for its children: 0 of 1500 done");
  });
});

describe("cancelling a composite parent", () => {
  it("cancels its subtree in the same unit: nothing left to dispatch, the running child stopped", async () => {
    const product = "composite-cancel-subtree";
    const f = await enroll(product, "f");
    const parent = await submit(product, { title: "p" });
    const [, b] = (await addChildren(product, parent.id, [{ title: "a" }, { title: "b" }])).body.children;
    expect((await addChildren(product, b!.id, [{ title: "grandchild" }])).status).toBe(201); // nested
    const { socket } = await connectFactory(product, f.token);
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!; // "a" or the grandchild, running
    expect((await act(product, parent.id, "cancel")).status).toBe(200);
    const withParent = { jobId: a.job.id, leaseEpoch: a.leaseEpoch, code: "parent_cancelled" };
    expect(await socket.next("cancel", 3000)).toMatchObject(withParent);
    expect(await stats(product)).toMatchObject({ cancelled: 4 });
    const g = await enroll(product, "g");
    expect((await claim(product, g.token)).status).toBe(204);
    const events = await eventsOf(product, a.job.id, 1);
    expect(events.find((e) => e.type === "job.action")?.data).toMatchObject({
      action: "cancel",
      note: expect.stringMatching(/^cancelled with its parent /),
    });
    // Once, on the parent, with the count: read once all the coordinator wrote is in D1 (history-wait
    // `auditDelivered`) — the first entry's arrival says nothing of a second one's, which may land after it.
    const audits = (await auditDelivered(product, { query: `&jobId=${parent.id}` })).filter(
      (a) => a.action === "job.cancel",
    );
    expect(audits).toHaveLength(1);
    expect(audits[0]?.detail).toMatchObject({ descendantsCancelled: 3, more: false });
    socket.close();
  });

  it("finishes a subtree bigger than one unit's chunk by the alarm", async () => {
    const product = "composite-cancel-chunks";
    const parent = await submit(product, { title: "p" });
    expect((await addChildren(product, parent.id, many(500))).status).toBe(201);
    expect((await addChildren(product, parent.id, many(CANCEL_CHUNK - 400))).status).toBe(201);
    expect((await act(product, parent.id, "cancel")).status).toBe(200);
    const counts = await alarmUntil(
      product,
      () => stats(product),
      (c) => c.cancelled === CANCEL_CHUNK + 101,
    );
    expect(counts).toMatchObject({ cancelled: CANCEL_CHUNK + 101 });
    expect(counts.queued ?? 0).toBe(0);
    // The cascade over, all the coordinator wrote in D1 (history-wait `auditDelivered`): the parent's one entry is
    // the cancel's, what its unit did — the alarm's chunks audit nothing more.
    const audits = (await auditDelivered(product, { query: `&jobId=${parent.id}` })).filter(
      (a) => a.action === "job.cancel",
    );
    expect(audits).toHaveLength(1);
    expect(audits[0]?.detail).toMatchObject({ descendantsCancelled: CANCEL_CHUNK, more: true });
  });

  it("dispatches none of what its cascade has still to reach, a grandchild under a live child neither", async () => {
    const product = "composite-cancel-hold";
    const release = await holdAlarm(product);
    const parent = await submit(product, { title: "p" });
    expect((await addChildren(product, parent.id, many(CANCEL_CHUNK))).status).toBe(201);
    const late = (await addChildren(product, parent.id, [...many(99), { title: "nested" }])).body.children;
    const nested = late[late.length - 1]!;
    expect((await addChildren(product, nested.id, [{ title: "grandchild" }])).status).toBe(201);
    expect((await act(product, parent.id, "cancel")).status).toBe(200);
    // Left for the alarm: 100 children (the nested one, still blocked on its child, among them) and the grandchild,
    // queued. An idle factory with free seats connects (its pass), another claims over HTTP: neither gets one.
    expect(await stats(product)).toMatchObject({ queued: 100, blocked: 1 });
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    const g = await enroll(product, "g");
    expect((await claim(product, g.token)).status).toBe(204);
    await release();
    const counts = await alarmUntil(
      product,
      () => stats(product),
      (c) => c.cancelled === 1 + CANCEL_CHUNK + 100 + 1,
    );
    expect(counts).toMatchObject({ cancelled: 1 + CANCEL_CHUNK + 100 + 1 });
    // No engine was ever started for any of them: not one run opened.
    const runs = await runInDurableObject(
      env.COORDINATOR.getByName(product),
      (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM runs").one().n,
    );
    expect(runs).toBe(0);
    socket.close();
    const [audit] = await auditOf(product, parent.id, "job.cancel"); // delivered by the alarm, held till now
    expect(audit?.detail).toMatchObject({ descendantsCancelled: CANCEL_CHUNK, more: true });
  });

  it("says `more` of its own cascade only, not of another one still under way", async () => {
    const product = "composite-cancel-more";
    const release = await holdAlarm(product);
    const big = await submit(product, { title: "big" });
    expect((await addChildren(product, big.id, many(CANCEL_CHUNK))).status).toBe(201);
    expect((await addChildren(product, big.id, many(1))).status).toBe(201);
    expect((await act(product, big.id, "cancel")).status).toBe(200); // one child left for the alarm
    const small = await submit(product, { title: "small", children: many(2) });
    expect((await act(product, small.id, "cancel")).status).toBe(200);
    await release(); // the audits may be left for the alarm to deliver: each says what it said at its cancel
    const [audit] = await auditOf(product, small.id, "job.cancel");
    expect(audit?.detail).toMatchObject({ descendantsCancelled: 2, more: false });
    const [bigAudit] = await auditOf(product, big.id, "job.cancel");
    expect(bigAudit?.detail).toMatchObject({ descendantsCancelled: CANCEL_CHUNK, more: true });
  });

  it("reads its own cascade's rows along their index, not every cascade's rows still under way", async () => {
    const product = "composite-cancel-plans";
    await submit(product, { title: "binds the coordinator" });
    const plans = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      [ROOT_LEFT_SQL, ROOT_NEXT_SQL].map((q) => queryPlan(state.storage.sql, q, "job_x")),
    );
    for (const plan of plans) {
      expect(plan).toMatch(/SEARCH cancel_cascades USING (COVERING )?INDEX cancel_cascades_by_root/);
      expect(plan).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });
});
