// `GET …/health` and `GET …/metrics` count, apart, the factories whose link ended while their heartbeats still say
// up (core/factory-link `linkEndedWhileUp`, the fleet view's rule): health is heartbeat-based on purpose, so a factory
// whose socket closed read `ok` and its seats counted as up for ~30 s, and neither answer said so. Real factory
// WebSockets: a closed socket's factory counts disconnected (its seats too, still in `seats.total`, its health still
// `ok`), in the JSON and as Prometheus gauges; an HTTP poller never does; the closed one polling over HTTP, or back on
// a socket, no longer does.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, until } from "./client.ts";
import { connectFactory } from "./sockets.ts";

interface Counts {
  health: { factories: Record<string, number> };
  seats: { total: number; disconnected: number; disconnectedFactories: number };
}

async function counts(product: string): Promise<Counts> {
  const health = await api<Counts["health"]>("GET", `${P(product)}/health`, { token: ADMIN });
  const metrics = await api<{ seats: Counts["seats"] }>("GET", `${P(product)}/metrics`, { token: ADMIN });
  expect([health.status, metrics.status]).toEqual([200, 200]);
  return { health: health.body, seats: metrics.body.seats };
}

/** The Prometheus sample `name{product}` as a number. */
async function gauge(product: string, name: string): Promise<number> {
  const r = await api<string>("GET", `${P(product)}/metrics?format=prometheus`, { token: ADMIN });
  const line = String(r.body)
    .split("\n")
    .find((l) => l.startsWith(`${name}{`));
  return Number(line?.split(" ").at(-1));
}

describe("the disconnected counts of health and metrics", () => {
  it("count a closed socket's factory and its seats apart, its health still ok, until it polls or links again", async () => {
    const product = "fleet-disconnected-counts";
    const ws = await enroll(product, "ws-host", [], 3);
    const poller = await enroll(product, "http-host", [], 2);
    await api("POST", `${P(product)}/factories/heartbeat`, { token: poller.token, json: {} });
    const first = await connectFactory(product, ws.token, { seats: 3 });
    const linked = await counts(product);
    expect(linked.health.factories).toMatchObject({ ok: 2, disconnected: 0 });
    expect(linked.seats).toMatchObject({ total: 5, disconnected: 0, disconnectedFactories: 0 });

    first.socket.close();
    // A close is handled after the client's: wait for the count, then assert the whole answer.
    const cut = await until(
      () => counts(product),
      (c) => c.health.factories.disconnected === 1,
      { what: "health counting the closed socket's factory disconnected" },
    );
    // Every existing number keeps its rule: both still ok, all five seats still in the total.
    expect(cut.health.factories).toMatchObject({ ok: 2, degraded: 0, down: 0, disconnected: 1 });
    expect(cut.seats).toMatchObject({ total: 5, disconnected: 3, disconnectedFactories: 1 });
    expect(await gauge(product, "gigafactory_seats_disconnected")).toBe(3);
    expect(await gauge(product, "gigafactory_factories_disconnected")).toBe(1);

    // Its latest beat over HTTP: it polls now, and work reaches it (the fleet view's `polledAt` rule).
    await api("POST", `${P(product)}/factories/heartbeat`, { token: ws.token, json: {} });
    const polling = await counts(product);
    expect(polling.health.factories.disconnected).toBe(0);
    expect(polling.seats).toMatchObject({ disconnected: 0, disconnectedFactories: 0 });

    const again = await connectFactory(product, ws.token, { seats: 3 });
    expect((await counts(product)).seats.disconnected).toBe(0);
    again.socket.close();
  });
});
