// A factory stopped on purpose does not page: drained + clean close + no lease = health `left`, no factory_down past every heartbeat threshold, its waiting reason names it as left; a crash close or a drain with a lease still held is down and alerted as before; a hello brings it back to ok.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WaitingReason } from "../../src/core/waiting-reason.ts";
import { FactoryListSchema } from "../../src/shared/api-responses.ts";
import { ADMIN, api, enroll, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets.ts";

/** Past 3 missed beats at the 15 s interval (core/health): heartbeats alone say `down`. */
const SILENT_MS = 5 * 60_000;

interface Stored {
  connection?: number;
  closedConnection?: number;
  leftAt?: number;
}

async function stored(product: string, id: string): Promise<Stored> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const row = state.storage.sql.exec<{ doc: string }>("SELECT doc FROM factories WHERE id = ?", id).one();
    return JSON.parse(row.doc) as Stored;
  });
}

/** Waits for the state "the coordinator handled this socket's close", then sets its last heartbeat far back. */
async function closedAndSilent(product: string, id: string): Promise<Stored> {
  const doc = await until(
    () => stored(product, id),
    (d) => d.connection !== undefined && d.closedConnection === d.connection,
  );
  expect(doc.closedConnection).toBe(doc.connection);
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const at = Date.now() - SILENT_MS;
    state.storage.sql.exec("UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?", at, id);
  });
  await env.COORDINATOR.getByName(product).sweep(product); // the health pass
  return doc;
}

async function openAlerts(product: string): Promise<string[]> {
  const r = await api<{ alerts: Array<{ kind: string }> }>("GET", `${P(product)}/alerts?state=open`, { token: ADMIN });
  return r.body.alerts.map((a) => a.kind);
}

async function factoryView(product: string, id: string) {
  const r = await api("GET", `${P(product)}/factories`, { token: ADMIN });
  return FactoryListSchema.parse(r.body).factories.find((f) => f.id === id)!;
}

async function productHealth(product: string) {
  return (
    await api<{ status: string; factories: Record<string, number> }>("GET", `${P(product)}/health`, { token: ADMIN })
  ).body;
}

async function drain(socket: TestSocket) {
  socket.send({ type: "drain", id: "d" });
  expect(await socket.answer("d")).toMatchObject({ type: "ack" });
}

describe("a factory that left on purpose", () => {
  it("drained and closed cleanly: health left, no factory_down past the thresholds, the wait names it as left", async () => {
    const product = "left-clean";
    const f = await enroll(product, "upgraded");
    const { socket } = await connectFactory(product, f.token);
    await drain(socket);
    socket.close(); // 1000, as the agent's close() after its drain
    await closedAndSilent(product, f.factoryId);

    expect(await openAlerts(product)).toEqual([]);
    const view = await factoryView(product, f.factoryId);
    expect(view.health).toBe("left");
    expect(view.leftAt).toEqual(expect.any(Number));
    expect(await productHealth(product)).toMatchObject({
      status: "healthy",
      factories: { ok: 0, degraded: 0, down: 0, left: 1 },
    });

    const job = await submit(product, { title: "after the upgrade" });
    const reason = (await getJob(product, job.id)).waitingReason as WaitingReason;
    expect(reason.code).toBe("no_factory_connected");
    expect(reason.detail).toMatchObject({ factories: [], left: [{ id: f.factoryId, name: "upgraded" }] });
    expect(reason.message).toContain("stopped on purpose");
  });

  it("a hello after leaving brings it back: health ok, leftAt gone", async () => {
    const product = "left-back";
    const f = await enroll(product, "back");
    const first = await connectFactory(product, f.token);
    await drain(first.socket);
    first.socket.close();
    await closedAndSilent(product, f.factoryId);
    expect((await factoryView(product, f.factoryId)).health).toBe("left");

    const { socket } = await connectFactory(product, f.token);
    const view = await factoryView(product, f.factoryId);
    expect(view.health).toBe("ok");
    expect(view.leftAt).toBeUndefined();
    expect((await stored(product, f.factoryId)).leftAt).toBeUndefined();
    socket.close();
  });
});

describe("a factory that went down", () => {
  it("closed without draining (a crash): down and factory_down, as before", async () => {
    const product = "left-crash";
    const f = await enroll(product, "crashed");
    const { socket } = await connectFactory(product, f.token);
    socket.close();
    await closedAndSilent(product, f.factoryId);
    expect(await openAlerts(product)).toEqual(["factory_down"]);
    expect((await factoryView(product, f.factoryId)).health).toBe("down");
    expect(await productHealth(product)).toMatchObject({ factories: { down: 1, left: 0 } });
  });

  it("drained but closed with an error code: down and factory_down", async () => {
    const product = "left-error";
    const f = await enroll(product, "errored");
    const { socket } = await connectFactory(product, f.token);
    await drain(socket);
    socket.ws.close(1011, "agent error");
    await closedAndSilent(product, f.factoryId);
    expect(await openAlerts(product)).toEqual(["factory_down"]);
  });

  it("drained but still holding a lease when its socket went: down and factory_down", async () => {
    const product = "left-holding";
    const f = await enroll(product, "holding");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "held" });
    expect((await socket.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    await drain(socket);
    socket.close();
    await closedAndSilent(product, f.factoryId);
    expect((await getJob(product, job.id)).holderFactoryId).toBe(f.factoryId);
    expect(await openAlerts(product)).toContain("factory_down");
    expect((await factoryView(product, f.factoryId)).health).toBe("down");
  });
});
