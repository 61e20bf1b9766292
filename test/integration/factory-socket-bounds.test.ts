// One factory token cannot fill its product's coordinator with idle WebSockets: at most MAX_PENDING_SOCKETS of a
// factory's sockets wait for a hello at once — opening another closes the oldest waiting one (1013, try again
// later) — while its greeted socket is left alone and keeps working. Found by a security review: every upgrade was
// accepted and lived until the sweep's "no hello" (90 s), so a token could open thousands (300 held open against
// the local runtime), each walked by every dispatch's socket scan, towards the runtime's cap on one object's sockets.
import { describe, expect, it } from "vitest";
import {
  CLOSE_TOO_MANY_PENDING,
  MAX_PENDING_SOCKETS,
} from "../../src/durable-objects/coordinator/factories/sockets.ts";
import { enroll } from "./client";
import { connectFactory, openSocket, type TestSocket } from "./sockets";

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
