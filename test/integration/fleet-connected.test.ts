// The fleet view says whether each factory is connected (`connected`, `disconnectedAt`: core/factory-link), read
// from the coordinator's own socket set at each read — a factory whose socket closed (host crashed, network cut) read
// `active, ok` in GET …/factories until its heartbeats lapsed. Real factory WebSockets: connected after its hello,
// disconnected at once when its socket closes (health still ok, heartbeat-based), with when; connected again on a
// reconnect; still connected while draining; disconnected after a token rotation; disconnected after a coordinator
// restart that dropped its socket though the stored link still says open (no close was seen); an HTTP poller is
// connected while its heartbeats keep it up; the single read and a release answer say the same.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, until } from "./client.ts";
import { type FleetFactory, listed } from "./fleet-read.ts";
import { connectFactory } from "./sockets.ts";
import { restartCoordinator } from "./state.ts";

async function single(product: string, factoryId: string): Promise<FleetFactory> {
  const r = await api<FleetFactory>("GET", `${P(product)}/factories/${factoryId}`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body;
}

/** The list's view of the factory once it reads `connected` as asked (a close is handled after the client's). */
const listedWhen = (product: string, factoryId: string, connected: boolean) =>
  until(
    () => listed(product, factoryId),
    (f) => f.connected === connected,
    { what: `factory ${factoryId} listed with connected: ${connected}` },
  );

describe("the fleet view's connected field", () => {
  it("follows the socket: connected after hello, disconnected at its close with when, connected again", async () => {
    const product = "fleet-connected";
    const f = await enroll(product, "host");
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: false, disconnectedAt: null });

    const first = await connectFactory(product, f.token);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null, health: "ok" });
    expect(await single(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });

    const closedAt = Date.now();
    first.socket.close();
    const gone = await listedWhen(product, f.factoryId, false);
    // Health is heartbeat-based on purpose (a reconnect within seconds must not flap it): still ok, still active.
    expect(gone).toMatchObject({ status: "active", health: "ok" });
    expect(gone.disconnectedAt).toBeGreaterThanOrEqual(closedAt);
    expect(gone.disconnectedAt).toBeLessThanOrEqual(Date.now());
    expect(await single(product, f.factoryId)).toMatchObject({ connected: false, disconnectedAt: gone.disconnectedAt });

    const again = await connectFactory(product, f.token);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });
    again.socket.close();
  });

  it("stays connected while its agent drains; a token rotation disconnects it", async () => {
    const product = "fleet-connected-drain";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    socket.send({ type: "drain", id: "d1" });
    await socket.answer("d1");
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null });

    const before = Date.now();
    const rotated = await api("POST", `${P(product)}/factories/${f.factoryId}/token/rotate`, { token: ADMIN });
    expect(rotated.status).toBe(200);
    const gone = await single(product, f.factoryId);
    expect(gone.connected).toBe(false);
    expect(gone.disconnectedAt).toBeGreaterThanOrEqual(before);
  });

  it("reads disconnected after a restart dropped its socket, though no close was seen (the stored link says open)", async () => {
    const product = "fleet-connected-restart";
    const f = await enroll(product, "host");
    const { socket } = await connectFactory(product, f.token);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true });
    await restartCoordinator(product);
    const stored = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const q = "SELECT doc FROM factories WHERE id = ?";
      return JSON.parse(state.storage.sql.exec<{ doc: string }>(q, f.factoryId).one().doc);
    });
    expect(stored.closedConnection).not.toBe(stored.connection); // a holder of nothing: the start recorded no end
    // Its end was never seen: no time to give, but no longer connected either.
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: false, disconnectedAt: null, health: "ok" });
    socket.close();
  });

  it("counts an HTTP poller connected while its heartbeats keep it up; a release answers with the link too", async () => {
    const product = "fleet-connected-poller";
    const f = await enroll(product, "poller");
    const beat = await api("POST", `${P(product)}/factories/heartbeat`, { token: f.token, json: {} });
    expect(beat.status).toBe(200);
    expect(await listed(product, f.factoryId)).toMatchObject({ connected: true, disconnectedAt: null, health: "ok" });

    const q = await api("POST", `${P(product)}/factories/${f.factoryId}/status`, {
      token: ADMIN,
      json: { status: "quarantined" },
    });
    expect(q.status).toBe(200);
    const released = await api("POST", `${P(product)}/factories/${f.factoryId}/release`, { token: ADMIN });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ status: "active", connected: true, disconnectedAt: null });
  });
});
