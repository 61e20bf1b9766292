// A hello on a factory socket that is already closing is not welcomed: not on one the coordinator closed for a
// protocol error (4002, the hello right behind the bad frame), nor on one whose close was handled while its hello
// waited for its turn. Either way the factory's live connection stays live — before, that hello took the factory
// over, closing the live agent as `replaced` (which stops it for good) — and no link is stored as open for a socket
// that is gone. A socket the object woke up with after hibernation is open, and its hello is welcomed as before.
// A frame with an `id` handed over on a socket a newer hello replaced, or that the coordinator closed, is refused with
// an `error` carrying that id, as every frame with an id is answered (README, the factory protocol).

import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { enroll, P } from "./client";
import { connectFactory, openSocket } from "./sockets";

const hello = { type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" };

/** The factory's stored connection generation and the one whose close was handled. */
function generations(sql: SqlStorage) {
  const row = sql.exec<{ c: number; e: number | null }>(
    "SELECT doc ->> '$.connection' AS c, doc ->> '$.closedConnection' AS e FROM factories",
  );
  return row.one();
}

describe("a hello on a closing factory socket", () => {
  it("is not welcomed after the coordinator closed the socket for a protocol error (4002)", async () => {
    const product = "closing-hello-protocol";
    const f = await enroll(product, "f");
    const live = await connectFactory(product, f.token);
    const stray = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    stray.send("not json");
    stray.send({ ...hello, id: "late" });
    expect((await stray.waitClosed()).code).toBe(4002);
    // Sent after the stray hello arrived: answered only on the connection that is still the factory's.
    live.socket.send({ type: "heartbeat", id: "still-live" });
    expect(await live.socket.answer("still-live")).toMatchObject({ type: "ack" });
    expect(stray.arrivals).toEqual(["error"]);
    expect(live.socket.closed).toBeUndefined();
    live.socket.close();
  });

  it("is not applied once the socket's close was handled while the hello waited for its turn", async () => {
    const product = "closing-hello-turn";
    const f = await enroll(product, "f");
    const live = await connectFactory(product, f.token);
    await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    const after = await runInDurableObject(env.COORDINATOR.getByName(product), async (c: ProductCoordinator, state) => {
      const greeted = (ws: WebSocket) => (ws.deserializeAttachment() as { helloed: boolean }).helloed;
      const [liveWs, stray] = [
        state.getWebSockets(f.factoryId).find(greeted)!,
        state.getWebSockets(f.factoryId).find((ws) => !greeted(ws))!,
      ];
      const before = generations(state.storage.sql);
      // The live socket's frame opens a turn; the stray hello waits behind it; the stray socket's close comes first.
      const beat = c.webSocketMessage(liveWs, JSON.stringify({ type: "heartbeat" }));
      const late = c.webSocketMessage(stray, JSON.stringify({ ...hello, id: "late" }));
      await c.webSocketClose(stray, 1000, "bye");
      await Promise.all([beat, late]);
      return {
        before,
        now: generations(state.storage.sql),
        strayGreeted: greeted(stray),
        liveGreeted: greeted(liveWs),
      };
    });
    expect(after.now).toEqual(after.before);
    expect([after.strayGreeted, after.liveGreeted]).toEqual([false, true]);
    live.socket.send({ type: "heartbeat", id: "still-live" });
    expect(await live.socket.answer("still-live")).toMatchObject({ type: "ack" });
    live.socket.close();
  });

  it("is still welcomed on a socket the coordinator woke up with after hibernation (the socket is open)", async () => {
    const product = "closing-hello-hibernated";
    const f = await enroll(product, "f");
    const s = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    await evictDurableObject(env.COORDINATOR.getByName(product));
    s.send({ ...hello, id: "woken" });
    expect((await s.next<{ factoryId: string }>("welcome")).factoryId).toBe(f.factoryId);
    s.close();
  });
});

describe("a frame with an id on a socket replaced or closed by the coordinator", () => {
  const closers: Array<[string, (c: ProductCoordinator, fresh: WebSocket, product: string, id: string) => unknown]> = [
    ["replaced", (c, fresh) => c.webSocketMessage(fresh, JSON.stringify({ ...hello, id: "takeover" }))],
    [
      "token rotated",
      (c, _fresh, product, id) => c.rotateFactoryToken(product, id, "ab".repeat(32), "admin", undefined, "admin"),
    ],
  ];
  for (const [how, close] of closers) {
    it(`(${how}) is refused with an error that carries its id`, async () => {
      const product = `closing-ids-${how.replaceAll(" ", "-")}`;
      const f = await enroll(product, "f");
      await connectFactory(product, f.token);
      await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
      const sent = await runInDurableObject(
        env.COORDINATOR.getByName(product),
        async (c: ProductCoordinator, state) => {
          const greeted = (ws: WebSocket) => (ws.deserializeAttachment() as { helloed: boolean }).helloed;
          const old = state.getWebSockets(f.factoryId).find(greeted)!;
          const fresh = state.getWebSockets(f.factoryId).find((ws) => !greeted(ws))!;
          const out: Array<{ type: string; id?: string; code?: string }> = [];
          const original = old.send.bind(old);
          old.send = (m: string | ArrayBuffer | ArrayBufferView) => {
            out.push(JSON.parse(String(m)));
            try {
              original(m);
            } catch {
              /* closed */
            }
          };
          await close(c, fresh, product, f.factoryId);
          await c.webSocketMessage(old, JSON.stringify({ type: "heartbeat", id: "hb" }));
          await c.webSocketMessage(old, JSON.stringify({ type: "drain", id: "dr" }));
          return out.filter((m) => m.type === "error" && m.id !== undefined);
        },
      );
      expect(sent).toMatchObject([
        { id: "hb", code: "conflict" },
        { id: "dr", code: "conflict" },
      ]);
    });
  }
});
