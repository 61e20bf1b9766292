// Revocation reaches what is already open or in flight: feeds, streams, tickets and a factory's pending hello. A
// revoked token's feeds, streams and tickets end, and a factory revoked, rotated or deregistered while its WebSocket
// upgrade is in flight is refused at its hello and closed (4001).

import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../src/shared/protocol.ts";
import { sha256Hex } from "../../src/worker/auth.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";
import { openSocket, TestSocket } from "./sockets.ts";

// Revocation reaches what is already open: revoking a token closes the WebSocket feeds (close 4001) and SSE streams (a final `revoked` event) it opened, directly or through a ticket, and refuses its tickets.

async function mintToken(product: string, role: "viewer" | "operator") {
  const r = await api<{ id: string; token: string }>("POST", `${P(product)}/tokens`, {
    token: ADMIN,
    json: { role, name: `${role}-1` },
  });
  expect(r.status).toBe(201);
  return r.body;
}

/** An open SSE response and a reader that collects its text. */
async function openStream(path: string, headers: Record<string, string> = {}) {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(`http://gf.test${path}`, { headers });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  return {
    /** Reads until `needle` has arrived; returns whether the stream ended (done) right after. */
    async readUntil(needle: string): Promise<string> {
      while (!text.includes(needle)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stream ended before ${JSON.stringify(needle)}; got ${JSON.stringify(text)}`);
        text += decoder.decode(value);
      }
      return text;
    },
    async ended(): Promise<boolean> {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return true;
        text += decoder.decode(value);
      }
    },
  };
}

async function ticketFor(product: string, jobId: string, token: string) {
  const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, { token });
  expect(t.status).toBe(201);
  return encodeURIComponent(t.body.ticket);
}

describe("revocation closes open streams", () => {
  it("closes a viewer's WebSocket feed, SSE stream and ticket-opened socket, and refuses its unused ticket", async () => {
    const product = "rev-viewer";
    const job = await submit(product, { title: "watched" });
    const viewer = await mintToken(product, "viewer");
    const feed = `${P(product)}/jobs/${job.id}/events`;
    const ws = await openSocket(`${feed}/ws?after=0`, { authorization: `Bearer ${viewer.token}` });
    await ws.next("ready");
    const sse = await openStream(`${feed}/stream`, { authorization: `Bearer ${viewer.token}` });
    await sse.readUntil("id: 1");
    const viaTicket = await openSocket(`${feed}/ws?after=0&ticket=${await ticketFor(product, job.id, viewer.token)}`);
    await viaTicket.next("ready");
    const unused = await ticketFor(product, job.id, viewer.token);
    // An admin watcher of the same job is not affected.
    const adminWs = await openSocket(`${feed}/ws?after=0`, { authorization: `Bearer ${ADMIN}` });
    await adminWs.next("ready");

    const revoked = await api("DELETE", `${P(product)}/tokens/${viewer.id}`, { token: ADMIN });
    expect(revoked.status).toBe(200);

    expect(await ws.waitClosed()).toMatchObject({ code: CLOSE.revoked });
    expect(await viaTicket.waitClosed()).toMatchObject({ code: CLOSE.revoked });
    expect(await sse.readUntil("event: revoked")).toContain('"code":"revoked"');
    expect(await sse.ended()).toBe(true);
    const refused = await api("GET", `${feed}/ws?ticket=${unused}`, { headers: { upgrade: "websocket" } });
    expect(refused.status).toBe(401);
    const refusedSse = await api("GET", `${feed}/stream?ticket=${unused}`);
    expect(refusedSse.status).toBe(401);
    expect(adminWs.closed).toBeUndefined();
    adminWs.close();
  });

  it("closes the feed streams a factory opened when its token is revoked, rotated or the factory deregistered", async () => {
    for (const how of ["token/revoke", "token/rotate", "deregister"] as const) {
      const product = `rev-factory-${how.replace("/", "-")}`;
      const f = await enroll(product, "f");
      const job = await submit(product, { title: `held, then ${how}` });
      const c = await claim(product, f.token);
      expect(c.body.job.id).toBe(job.id);
      const feed = `${P(product)}/jobs/${job.id}/events`;
      const ws = await openSocket(`${feed}/ws?after=0`, { authorization: `Bearer ${f.token}` });
      await ws.next("ready");
      const ticket = await ticketFor(product, job.id, f.token);
      const r =
        how === "deregister"
          ? await api("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })
          : await api("POST", `${P(product)}/factories/${f.factoryId}/${how}`, { token: ADMIN });
      expect(r.status, how).toBe(200);
      expect(await ws.waitClosed(), how).toMatchObject({ code: CLOSE.revoked });
      expect((await api("GET", `${feed}/stream?ticket=${ticket}`)).status, how).toBe(401);
    }
  });
});

// A factory revoked while its WebSocket upgrade is in flight is not welcomed: the Worker authenticated the token a
// moment before the revocation committed, so the coordinator accepts the upgrade, but the hello is refused
// (`unauthorized`) and the socket closed with 4001 (revoked), as revocation closes every other socket of it.
// Found by a security review: the hello of a revoked factory was greeted like any other — welcome, a new
// connection generation, its declaration and heartbeat written to the revoked record — and the socket stayed open.
// The race is played by handing the coordinator the upgrade the Worker would have forwarded.

type FactoryView = { status: string; lastHeartbeatAt?: number };

describe("a factory revoked while its upgrade was on its way", () => {
  it("is refused at hello and closed with 4001, and its record is left as the revocation wrote it", async () => {
    const product = "revoked-hello";
    const f = await enroll(product, "late");
    expect((await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN })).status).toBe(
      200,
    );
    const before = (await api<FactoryView>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body;
    expect(before.status).toBe("revoked");

    // What the Worker forwards after authenticating the (then still valid) factory token: routes/work `connect`.
    const res = await env.COORDINATOR.getByName(product).fetch(
      new Request("https://coordinator/connect", {
        headers: {
          upgrade: "websocket",
          "x-gf-factory-id": f.factoryId,
          "x-gf-product-id": product,
          "x-gf-token-hash": await sha256Hex(f.token),
        },
      }),
    );
    if (!res.webSocket) throw new Error(`no upgrade: ${res.status}`);
    const socket = new TestSocket(res.webSocket);
    socket.send({ type: "hello", id: "h1", v: 1, capabilities: ["gpu"], seats: 4, engines: [], agentVersion: "t" });
    const answer = await socket.answer<{ type: string; code?: string }>("h1", 3000);
    expect(answer).toMatchObject({ type: "error", code: "unauthorized" });
    expect((await socket.waitClosed())?.code).toBe(CLOSE.revoked);
    expect(socket.frames.some((fr) => fr.type === "welcome")).toBe(false);

    const after = (await api<FactoryView>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body;
    expect(after).toEqual(before);
  });
});

// The same race for a rotation or a deregistration: the Worker authenticated the factory's old token a moment before
// the rotation (or deregistration) committed. Found by a security review: the hello checked only for a `revoked`
// status, which a rotation does not set (the factory stays active under its new token) — so a socket upgraded with
// the stolen, just-rotated token was welcomed and acted as the factory; a deregistered factory's was not refused as
// revoked either. The Worker now hands over the SHA-256 of the token it authenticated, and the hello is refused
// unless that is still the factory's token.

describe("a factory whose token was rotated, or which was deregistered, while its upgrade was on its way", () => {
  for (const how of ["token/rotate", "deregister"] as const) {
    it(`${how}: the old token's socket is refused at hello and closed with 4001`, async () => {
      const product = `stale-hello-${how.replace("/", "-")}`;
      const f = await enroll(product, "f");
      const r =
        how === "deregister"
          ? await api("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })
          : await api("POST", `${P(product)}/factories/${f.factoryId}/${how}`, { token: ADMIN });
      expect(r.status).toBe(200);
      const before = await api("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN });
      const res = await env.COORDINATOR.getByName(product).fetch(
        new Request("https://coordinator/connect", {
          headers: {
            upgrade: "websocket",
            "x-gf-factory-id": f.factoryId,
            "x-gf-product-id": product,
            "x-gf-token-hash": await sha256Hex(f.token),
          },
        }),
      );
      if (!res.webSocket) throw new Error(`no upgrade: ${res.status}`);
      const socket = new TestSocket(res.webSocket);
      socket.send({ type: "hello", id: "h1", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "t" });
      const answer = await socket.answer<{ type: string; code?: string }>("h1", 3000);
      expect(answer).toMatchObject({ type: "error", code: "unauthorized" });
      expect((await socket.waitClosed())?.code).toBe(CLOSE.revoked);
      expect(socket.frames.some((fr) => fr.type === "welcome")).toBe(false);
      const after = await api("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN });
      expect([after.status, after.body]).toEqual([before.status, before.body]);
    });
  }
});
