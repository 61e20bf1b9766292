// Frames that waited for their turn (factories/frame-turns) while their socket's close was handled: a `drain` still
// counts — the agent drained, then closed cleanly, holding nothing, so the factory left (health `left`, no page),
// as when the drain came first — and a heartbeat no longer records a beat after the link ended (which also undid
// the `left`: a beat after leaving means the factory is back). Other frames are unchanged.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { enroll, getJob, submit } from "./client";
import { type AssignFrame, connectFactory } from "./sockets";

interface Stored {
  connection?: number;
  closedConnection?: number;
  leftAt?: number;
  lastHeartbeatAt?: number;
}

const storedIn = (state: DurableObjectState, id: string) =>
  JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM factories WHERE id = ?", id).one().doc) as Stored;

/**
 * On the factory's live socket: `first` applied at once (it opens a turn), `late` queued behind it, then the socket's
 * close (1000) handled before `late` runs; from the close on, the clock reads `laterMs` later. The stored factory after.
 */
async function lateBehindClose(product: string, factoryId: string, late: Record<string, unknown>, laterMs = 60_000) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (c: ProductCoordinator, state) => {
    const ws = state.getWebSockets(factoryId).find((w) => w.deserializeAttachment()?.helloed)!;
    const first = c.webSocketMessage(ws, JSON.stringify({ type: "heartbeat", id: "first" }));
    const queued = c.webSocketMessage(ws, JSON.stringify(late));
    const closing = c.webSocketClose(ws, 1000, "bye"); // handled at once: its unit commits before this returns
    const realNow = Date.now;
    Date.now = () => realNow() + laterMs;
    try {
      await Promise.all([first, queued, closing]);
    } finally {
      Date.now = realNow;
    }
    return storedIn(state, factoryId);
  });
}

describe("a frame queued behind its socket's close", () => {
  it("a drain still makes the factory one that left", async () => {
    const product = "late-drain";
    const f = await enroll(product, "f");
    await connectFactory(product, f.token);
    const doc = await lateBehindClose(product, f.factoryId, { type: "drain", id: "d" });
    expect(doc.closedConnection).toBe(doc.connection); // the close was handled
    expect(doc.leftAt).toBeDefined(); // drained, closed 1000, no lease: left, not down
  });

  it("a heartbeat records no beat after the link ended, and the factory that left stays left", async () => {
    const product = "late-beat";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    socket.send({ type: "drain", id: "d" });
    expect(await socket.answer("d")).toMatchObject({ type: "ack" });
    const doc = await lateBehindClose(product, f.factoryId, { type: "heartbeat", id: "late" });
    expect(doc.leftAt).toBeDefined();
    expect(doc.lastHeartbeatAt!).toBeLessThanOrEqual(doc.leftAt!); // a later beat reads as the factory back
  });

  it("a lease report is still applied: the job it completes is not lost with the link", async () => {
    const product = "late-complete";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "done just before the close" });
    const leaseEpoch = (await socket.next<AssignFrame>("assign")).assignments[0]!.leaseEpoch;
    const complete = { type: "complete", id: "c", jobId: job.id, leaseEpoch, result: { outcome: "success" } };
    const doc = await lateBehindClose(product, f.factoryId, complete, 0); // its lease still live
    expect(doc.closedConnection).toBe(doc.connection);
    expect(doc.leftAt).toBeUndefined(); // it never drained
    expect((await getJob(product, job.id)).stage).not.toMatch(/^(queued|assigned|building)$/); // the report counted
  });
});
