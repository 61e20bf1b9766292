// One factory's WebSockets stay bounded and unambiguous: one greeted socket, a few waiting for their hello. A newer
// hello replaces the older connection, whose later frames change nothing, and at most MAX_PENDING_SOCKETS of a
// factory's sockets wait for a hello at once.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  CLOSE_TOO_MANY_PENDING,
  MAX_PENDING_SOCKETS,
} from "../../src/durable-objects/coordinator/factories/sockets.ts";
import type { ProductCoordinator } from "../../src/durable-objects/product-coordinator.ts";
import { enroll, getJob, P, submit, until } from "./client";
import { type AssignFrame, connectFactory, openSocket, type TestSocket } from "./sockets";

// One live connection per factory: a newer hello replaces the older socket, whose later frames are refused and
// change nothing, and two hellos racing leave exactly one socket open.

const hello = { type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" };

/**
 * A newer connection of the factory says hello, then a frame that was in flight on the older (greeted) socket
 * is delivered — as the runtime may still hand over frames that arrived before its close landed. Returns what
 * the coordinator sent back on the older socket.
 */
async function takeOverThenFrame(product: string, factoryId: string, frame: Record<string, unknown>) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (instance: ProductCoordinator, state) => {
    const sockets = state.getWebSockets(factoryId);
    const greeted = (ws: WebSocket) => (ws.deserializeAttachment() as { helloed: boolean }).helloed;
    const old = sockets.find(greeted)!;
    const fresh = sockets.find((ws) => !greeted(ws))!;
    const sent: string[] = [];
    const original = old.send.bind(old);
    old.send = (m: string | ArrayBuffer | ArrayBufferView) => {
      sent.push(String(m));
      try {
        original(m);
      } catch {
        /* closed */
      }
    };
    await instance.webSocketMessage(fresh, JSON.stringify({ ...hello, id: "takeover" }));
    await instance.webSocketMessage(old, JSON.stringify(frame));
    return sent.map((m) => JSON.parse(m) as { type: string; code?: string });
  });
}

describe("socket takeover", () => {
  it("refuses a complete frame from a replaced socket and leaves the job where it was", async () => {
    const product = "takeover-complete";
    const f = await enroll(product, "f");
    const first = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const offer = (await first.socket.next<AssignFrame>("assign")).assignments[0]!;
    const second = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    const before = await getJob(product, job.id);
    const complete = {
      type: "complete",
      id: "c",
      jobId: job.id,
      leaseEpoch: offer.leaseEpoch,
      result: { outcome: "success", rc: 0 },
    };
    const sent = await takeOverThenFrame(product, f.factoryId, complete);
    expect((await second.next<{ leases: Array<{ job: { id: string } }> }>("welcome")).leases[0]!.job.id).toBe(job.id);
    expect(sent.map((s) => s.type)).not.toContain("ack");
    expect(sent.find((s) => s.type === "error" && s.code !== "replaced")?.code).toBe("conflict");
    expect(await getJob(product, job.id)).toEqual(before);
    // The live connection still works the job.
    second.send(complete);
    expect((await second.next<{ result: { stage: string } }>("ack")).result.stage).toBe("testing");
    second.close();
  });

  it("refuses a heartbeat from a replaced socket too (it no longer speaks for the factory)", async () => {
    const product = "takeover-heartbeat";
    const f = await enroll(product, "f");
    await connectFactory(product, f.token);
    const second = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    const sent = await takeOverThenFrame(product, f.factoryId, { type: "heartbeat", id: "h" });
    expect(sent.filter((s) => s.type !== "error" || s.code !== "replaced").map((s) => s.type)).toEqual(["error"]);
    second.close();
  });

  it("refuses a drain from a replaced socket: the live connection keeps receiving work", async () => {
    const product = "takeover-drain";
    const f = await enroll(product, "f");
    await connectFactory(product, f.token);
    const second = await openSocket(`${P(product)}/factories/connect`, { authorization: `Bearer ${f.token}` });
    const sent = await takeOverThenFrame(product, f.factoryId, { type: "drain", id: "d" });
    expect(sent.map((s) => s.type)).not.toContain("ack");
    await second.next("welcome");
    const job = await submit(product, { title: "x" });
    expect((await second.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    second.close();
  });

  it("two hellos racing leave exactly one live socket", async () => {
    const product = "takeover-race";
    const f = await enroll(product, "f");
    const path = `${P(product)}/factories/connect`;
    const s1 = await openSocket(path, { authorization: `Bearer ${f.token}` });
    const s2 = await openSocket(path, { authorization: `Bearer ${f.token}` });
    s1.send({ ...hello, id: "1" });
    s2.send({ ...hello, id: "2" });
    // Wait for the state: one of them is closed as replaced.
    await until(
      async () => [s1.closed, s2.closed],
      (closes) => closes.some((c) => c !== undefined),
      { ms: 5000, what: "one of two racing hellos' sockets closed as replaced" },
    );
    const [loser, winner] = s1.closed ? [s1, s2] : [s2, s1];
    expect(loser.closed?.code).toBe(4000);
    winner.send({ type: "heartbeat", id: "alive" });
    expect(await winner.next("ack")).toMatchObject({ id: "alive" });
    expect(winner.closed).toBeUndefined();
    // And it receives work.
    const job = await submit(product, { title: "x" });
    expect((await winner.next<AssignFrame>("assign")).assignments[0]!.job.id).toBe(job.id);
    winner.close();
  });
});

// One factory token cannot fill its product's coordinator with idle WebSockets: at most MAX_PENDING_SOCKETS of a
// factory's sockets wait for a hello at once — opening another closes the oldest waiting one (1013, try again
// later) — while its greeted socket is left alone and keeps working. Found by a security review: every upgrade was
// accepted and lived until the sweep's "no hello" (90 s), so a token could open thousands (300 held open against
// the local runtime), each walked by every dispatch's socket scan, towards the runtime's cap on one object's sockets.

const connectPath = (product: string) => `/api/v1/products/${product}/factories/connect`;

describe("sockets of one factory waiting for hello", () => {
  it("are bounded: the oldest are closed with 1013, the newest can still say hello", async () => {
    const product = "socket-bounds-pending";
    const f = await enroll(product, "flood");
    const sockets: TestSocket[] = [];
    for (let i = 0; i < MAX_PENDING_SOCKETS + 6; i++) {
      sockets.push(await openSocket(connectPath(product), { authorization: `Bearer ${f.token}` }));
    }
    const shed = sockets.slice(0, 6);
    for (const s of shed) expect((await s.waitClosed())?.code).toBe(CLOSE_TOO_MANY_PENDING);
    const kept = sockets.slice(6);
    expect(kept.every((s) => s.closed === undefined)).toBe(true);

    const newest = kept[kept.length - 1] as TestSocket;
    newest.send({ type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" });
    expect((await newest.next<{ factoryId: string }>("welcome")).factoryId).toBe(f.factoryId);
    for (const s of sockets) s.close();
  });

  it("never close the factory's greeted socket, which keeps answering", async () => {
    const product = "socket-bounds-greeted";
    const f = await enroll(product, "steady");
    const { socket } = await connectFactory(product, f.token);
    const pending: TestSocket[] = [];
    for (let i = 0; i < MAX_PENDING_SOCKETS + 2; i++) {
      pending.push(await openSocket(connectPath(product), { authorization: `Bearer ${f.token}` }));
    }
    expect((await pending[0]?.waitClosed())?.code).toBe(CLOSE_TOO_MANY_PENDING);
    socket.send({ type: "heartbeat", id: "hb-1" });
    expect((await socket.answer<{ type: string }>("hb-1")).type).toBe("ack");
    expect(socket.closed).toBeUndefined();
    for (const s of [socket, ...pending]) s.close();
  });
});

// A socket the coordinator closed speaks for nobody: the runtime may still hand over frames that arrived before the
// close landed (or that waited in a frame turn while the closing unit ran). Found by review: a `complete` on the socket
// of a just-rotated token moved its job to testing, a revoked factory's heartbeat was stored, a swept socket's report
// was applied, and the hello of a socket shed as pending was welcomed, replacing the factory's open sockets.
describe("a socket the coordinator closed", () => {
  type Coordinator = ProductCoordinator & { link: { closeStale(): number } };
  type Closer = (c: Coordinator, state: DurableObjectState, product: string, factoryId: string) => Promise<unknown>;

  /** `close` ends the factory's socket as the coordinator does; then `frames` arrive on it. */
  async function framesAfterClose(product: string, factoryId: string, close: Closer, frames: object[]) {
    return runInDurableObject(env.COORDINATOR.getByName(product), async (coordinator: ProductCoordinator, state) => {
      const instance = coordinator as Coordinator;
      const ws = state.getWebSockets(factoryId)[0]!;
      const sent: Array<{ type: string; code?: string }> = [];
      const original = ws.send.bind(ws);
      ws.send = (m: string | ArrayBuffer | ArrayBufferView) => {
        sent.push(JSON.parse(String(m)));
        try {
          original(m);
        } catch {
          /* closed */
        }
      };
      await close(instance, state, product, factoryId);
      // The heartbeat's one write (the socket's own close event may store its end meanwhile: not this frame's doing).
      const beat = () => state.storage.sql.exec("SELECT doc ->> '$.lastHeartbeatAt' AS at FROM factories").one().at;
      const before = beat();
      for (const frame of frames) await instance.webSocketMessage(ws, JSON.stringify(frame));
      // The answers only: not what the close itself sent (a revoke's `cancel` for the job it took, then `revoke`).
      const answers = sent.filter((f) => f.type !== "revoke" && f.type !== "cancel");
      return { answers, beatKept: beat() === before };
    });
  }

  const closers: Array<[string, Closer]> = [
    [
      "token rotated",
      (c, _s, product, id) => c.rotateFactoryToken(product, id, "ab".repeat(32), "admin", undefined, "admin"),
    ],
    ["token revoked", (c, _s, product, id) => c.revokeFactoryToken(product, id, "admin", "admin")],
    [
      "swept as silent",
      async (c, state, _product, id) => {
        const silent = "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', 0) WHERE id = ?";
        state.storage.sql.exec(silent, id);
        expect(c.link.closeStale()).toBe(1);
      },
    ],
  ];
  for (const [how, closer] of closers) {
    it(`(${how}) refuses the frames still handed over on it, and they change nothing`, async () => {
      const product = `closed-socket-${how.replaceAll(" ", "-")}`;
      const f = await enroll(product, "f");
      const { socket } = await connectFactory(product, f.token);
      const job = await submit(product, { title: "x" });
      const lease = {
        jobId: job.id,
        leaseEpoch: (await socket.next<AssignFrame>("assign")).assignments[0]!.leaseEpoch,
      };
      const complete = { type: "complete", id: "c", ...lease, result: { outcome: "success", rc: 0 } };
      const before = await getJob(product, job.id);
      const frames = [{ type: "heartbeat", id: "hb" }, complete];
      const { answers, beatKept } = await framesAfterClose(product, f.factoryId, closer, frames);
      expect(answers).toMatchObject([
        { type: "error", code: "conflict" },
        { type: "error", code: "conflict" },
      ]);
      expect(beatKept).toBe(true);
      // A revocation requeues the job itself; otherwise the lease is where it was, for the reconnected factory.
      if (how === "token revoked") expect((await getJob(product, job.id)).stage).toBe("queued");
      else expect(await getJob(product, job.id)).toEqual(before);
    });
  }

  it("(shed while waiting for hello) does not welcome its hello, and the factory's other sockets stay open", async () => {
    const product = "closed-socket-shed";
    const f = await enroll(product, "f");
    const sockets: TestSocket[] = [];
    for (let i = 0; i < MAX_PENDING_SOCKETS; i++) {
      sockets.push(await openSocket(connectPath(product), { authorization: `Bearer ${f.token}` }));
    }
    const shed = await runInDurableObject(
      env.COORDINATOR.getByName(product),
      async (coordinator: ProductCoordinator, state) => {
        const instance = coordinator as Coordinator;
        const oldest = state.getWebSockets(f.factoryId)[0]!;
        await instance.fetch(
          new Request("https://coordinator/connect", {
            headers: {
              upgrade: "websocket",
              "x-gf-factory-id": f.factoryId,
              "x-gf-product-id": product,
              "x-gf-token-hash": "0".repeat(64),
            },
          }),
        );
        await instance.webSocketMessage(oldest, JSON.stringify({ ...hello, id: "late" }));
        const greeted = state.getWebSockets(f.factoryId).filter((ws) => ws.deserializeAttachment()?.helloed);
        return { greeted: greeted.length };
      },
    );
    expect(shed.greeted).toBe(0);
    for (const s of sockets.slice(1)) expect(s.closed).toBeUndefined();
    for (const s of sockets) s.close();
  });
});
