// The fleet view's `connected` / `disconnectedAt` under a reviewer's cases, with real factory WebSockets and real
// restarts: a reconnect whose new socket opens before the old one closes stays connected (the replaced socket's late
// close records nothing), then its close disconnects it; a socket that never says hello connects nothing; sockets the
// coordinator closes (token revoked, the stale-socket sweep, deregistered) and a drained agent's clean close (`left`)
// read disconnected with when; an open socket silent past 3 missed beats reads disconnected before the sweep closes
// it (it read connected beside health `down`); a recorded end survives a restart and a reconnect clears it; a link
// lost with a restart reads disconnected with no time (its end was never seen) though the outage grace of a lease
// holder, or a token rotated or revoked since, recorded it ended ("disconnected 0s ago" for a link gone since the
// crash); an HTTP poller is connected while its beats keep it up, not once they lapse, never revoked (the OpenAPI
// text's rule); one fleet read walks the socket list once.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../src/shared/protocol.ts";
import { ADMIN, api, enroll, P, submit, until } from "./client.ts";
import { type FleetFactory, listed } from "./fleet-read.ts";
import { type AssignFrame, connectFactory, openSocket } from "./sockets.ts";
import { restartCoordinator } from "./state.ts";

const listedWhen = (product: string, factoryId: string, ok: (f: FleetFactory) => boolean, what: string) =>
  until(() => listed(product, factoryId), ok, { what: `factory ${factoryId} listed ${what}` });

/** The stored link fields of a factory (factories/registry). */
const stored = (product: string, factoryId: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const q = "SELECT doc FROM factories WHERE id = ?";
    const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>(q, factoryId).one().doc);
    return doc as { connection?: number; closedConnection?: number; disconnectedAt?: number };
  });

/** How many sockets of the factory the coordinator still holds (its close handled: gone from the list). */
const socketCount = (product: string, factoryId: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => state.getWebSockets(factoryId).length);

/** Waits for the state "the coordinator holds `n` sockets of the factory" (a close handled drops one). */
const held = async (product: string, factoryId: string, n: number) =>
  until(
    () => socketCount(product, factoryId),
    (c) => c === n,
    { what: `${n} socket(s) of ${factoryId} held by the coordinator` },
  );

describe("the fleet view's connected field, attacked", () => {
  it("stays connected across a reconnect whose new socket opens before the old one closes; its close ends it", async () => {
    const product = "fleet-review-reconnect";
    const f = await enroll(product, "host");
    const first = await connectFactory(product, f.token);
    const second = await connectFactory(product, f.token); // the old one still open: the new hello replaces it
    expect((await first.socket.waitClosed()).code).toBe(CLOSE.replaced);
    first.socket.close();
    await held(product, f.factoryId, 1); // the old socket's late close handled
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    const doc = await stored(product, f.factoryId);
    expect(doc.closedConnection).not.toBe(doc.connection);
    expect(doc.disconnectedAt).toBeUndefined();

    const closedAt = Date.now();
    second.socket.close();
    const gone = await listedWhen(product, f.factoryId, (x) => !x.connected, "disconnected");
    expect(gone.disconnectedAt).toBeGreaterThanOrEqual(closedAt);
  });

  it("connects nothing by a socket that never says hello, before or after its greeted socket closes", async () => {
    const product = "fleet-review-pending";
    const quiet = await enroll(product, "quiet");
    const mute = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${quiet.token}` });
    await held(product, quiet.factoryId, 1);
    expect(await listed(product, quiet.factoryId)).toMatchObject({ connected: false, disconnectedAt: null });

    const f = await enroll(product, "host");
    const live = await connectFactory(product, f.token);
    const pending = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    await held(product, f.factoryId, 2);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true });
    live.socket.close();
    const gone = await listedWhen(product, f.factoryId, (x) => !x.connected, "disconnected");
    expect(gone.disconnectedAt).not.toBeNull(); // the pending socket, still open, links nothing
    pending.send({ type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" });
    await pending.next("welcome");
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    pending.close();
    mute.close();
  });

  it("reads disconnected, with when, once the coordinator closed the socket: revoked, swept; gone when deregistered", async () => {
    const product = "fleet-review-closed";
    const r = await enroll(product, "revoked");
    const rs = await connectFactory(product, r.token);
    const before = Date.now();
    expect((await api("POST", `${P(product)}/factories/${r.factoryId}/token/revoke`, { token: ADMIN })).status).toBe(
      200,
    );
    await rs.socket.waitClosed();
    await held(product, r.factoryId, 0); // its late close handled: it must not move the recorded end
    const revoked = await listed(product, r.factoryId);
    expect(revoked).toMatchObject({ status: "revoked", connected: false });
    expect(revoked.disconnectedAt).toBeGreaterThanOrEqual(before);
    expect(revoked.disconnectedAt).toBe((await stored(product, r.factoryId)).disconnectedAt);

    const s = await enroll(product, "silent");
    const ss = await connectFactory(product, s.token);
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 5 * 60_000; // past 3 missed beats: the sweep closes its socket
      state.storage.sql.exec(
        "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
        at,
        s.factoryId,
      );
    });
    const swept = Date.now();
    await env.COORDINATOR.getByName(product).sweep(product);
    expect(await listed(product, s.factoryId)).toMatchObject({ connected: false, health: "down" });
    expect((await listed(product, s.factoryId)).disconnectedAt).toBeGreaterThanOrEqual(swept);
    await ss.socket.waitClosed();

    const d = await enroll(product, "gone");
    const ds = await connectFactory(product, d.token);
    expect((await api("DELETE", `${P(product)}/factories/${d.factoryId}`, { token: ADMIN })).status).toBeLessThan(300);
    await ds.socket.waitClosed();
    const list = await api<{ factories: FleetFactory[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
    expect(list.body.factories.map((x) => x.id)).not.toContain(d.factoryId);
  });

  it("reads a drained agent's clean close as left and disconnected, with when", async () => {
    const product = "fleet-review-left";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    socket.send({ type: "drain", id: "d1" });
    await socket.answer("d1");
    const closedAt = Date.now();
    socket.close();
    const left = await listedWhen(product, f.factoryId, (x) => x.health === "left", "left");
    expect(left.connected).toBe(false);
    expect(left.disconnectedAt).toBeGreaterThanOrEqual(closedAt);
  });

  it("keeps a recorded end across a restart; a reconnect clears it", async () => {
    const product = "fleet-review-restart";
    const f = await enroll(product, "host");
    const first = await connectFactory(product, f.token);
    first.socket.close();
    const gone = await listedWhen(product, f.factoryId, (x) => !x.connected, "disconnected");
    await restartCoordinator(product);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: false, disconnectedAt: gone.disconnectedAt });
    const again = await connectFactory(product, f.token);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    again.socket.close();
  });

  it("gives no time for a lease holder's link lost with a restart, as for any other; a reconnect connects it", async () => {
    const product = "fleet-review-holder";
    const f = await enroll(product, "holder");
    const earlier = await connectFactory(product, f.token);
    earlier.socket.close(); // an end recorded before: not this connection's
    await listedWhen(product, f.factoryId, (x) => x.disconnectedAt !== null, "with an end recorded");
    const { socket } = await connectFactory(product, f.token);
    await submit(product, { title: "long build" });
    await socket.next<AssignFrame>("assign");
    await restartCoordinator(product); // drops its socket with no close: the start finds it gone
    const doc = await stored(product, f.factoryId);
    expect(doc.closedConnection).toBe(doc.connection); // the outage grace recorded it disconnected
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: false, disconnectedAt: null });
    const again = await connectFactory(product, f.token);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    again.socket.close();
    socket.close();
  });

  it("gives no time for a link lost with a restart that a token rotation or revocation ends later", async () => {
    const product = "fleet-review-lost-rotated";
    const r = await enroll(product, "rotated");
    const v = await enroll(product, "revoked");
    const rs = await connectFactory(product, r.token);
    const vs = await connectFactory(product, v.token);
    await restartCoordinator(product); // both sockets dropped with no close: their stored links still say open
    const rotate = await api("POST", `${P(product)}/factories/${r.factoryId}/token/rotate`, { token: ADMIN });
    expect(rotate.status).toBe(200);
    expect(await listed(product, r.factoryId)).toMatchObject({ connected: false, disconnectedAt: null });
    expect((await api("POST", `${P(product)}/factories/${v.factoryId}/token/revoke`, { token: ADMIN })).status).toBe(
      200,
    );
    expect(await listed(product, v.factoryId)).toMatchObject({
      status: "revoked",
      connected: false,
      disconnectedAt: null,
    });
    rs.socket.close();
    vs.socket.close();
  });

  it("reads disconnected an open socket silent past 3 missed beats (down), before the sweep closes it", async () => {
    const product = "fleet-review-silent";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 5 * 60_000; // a cut network, a hung agent: no beat, no close
      state.storage.sql.exec(
        "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
        at,
        f.factoryId,
      );
    });
    await held(product, f.factoryId, 1); // its socket still open on the coordinator
    expect(await listed(product, f.factoryId)).toMatchObject({
      health: "down",
      connected: false,
      disconnectedAt: null,
    });
    socket.close();
  });

  it("counts an HTTP poller connected as the OpenAPI text says: not once its beats lapse, never revoked", async () => {
    const product = "fleet-review-poller";
    const f = await enroll(product, "poller");
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: false, disconnectedAt: null }); // never beat
    expect((await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} })).status).toBe(200);
    expect(await listed(product, f.factoryId)).toMatchObject({ health: "ok", connected: true, disconnectedAt: null });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const at = Date.now() - 5 * 60_000;
      state.storage.sql.exec(
        "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
        at,
        f.factoryId,
      );
    });
    expect(await listed(product, f.factoryId)).toMatchObject({
      health: "down",
      connected: false,
      disconnectedAt: null,
    });
    expect((await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} })).status).toBe(200);
    expect((await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN })).status).toBe(
      200,
    );
    expect(await listed(product, f.factoryId)).toMatchObject({
      status: "revoked",
      connected: false,
      disconnectedAt: null,
    });
  });

  it("walks the socket list once for a fleet read, not once per factory", async () => {
    const product = "fleet-review-walk";
    const sockets = [];
    for (let i = 0; i < 6; i++)
      sockets.push((await connectFactory(product, (await enroll(product, `h${i}`)).token)).socket);
    const walks = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const own = state.getWebSockets.bind(state);
      let calls = 0;
      state.getWebSockets = (tag?: string) => {
        calls += 1;
        return own(tag);
      };
      try {
        const read = (instance as unknown as { listFactories(p: string): Promise<unknown> }).listFactories(product);
        const answer = (await read) as { ok: boolean; value: Array<{ connected: boolean }> };
        expect(answer.value.filter((x) => x.connected)).toHaveLength(6);
      } finally {
        state.getWebSockets = own;
      }
      return calls;
    });
    expect(walks).toBe(1);
    for (const s of sockets) s.close();
  });
});
