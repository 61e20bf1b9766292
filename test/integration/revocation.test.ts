// Revocation reaches what is already open: revoking a token closes the WebSocket feeds (close 4001) and SSE streams (a final `revoked` event) it opened, directly or through a ticket, and refuses its tickets.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../src/shared/protocol.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";
import { openSocket } from "./sockets.ts";

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
