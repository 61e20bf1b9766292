// A feed ticket opens one stream: used once (WebSocket or SSE, by a viewer's or the admin's ticket) it opens nothing
// more, and of two streams opened with one ticket at once exactly one gets in; a fresh ticket still works. A used ticket
// spelled another way (a third `.` part, base64 padding, a last character differing only in the bits base64 drops, a
// blank that base64 skips) is the same ticket, and is refused as used. A request refused for another reason (no
// WebSocket upgrade, a bad Last-Event-ID) does not use its ticket up.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, submit } from "./client";
import { openSocket, openWithTicket } from "./sockets";

const fetcher = () => (exports as unknown as { default: Fetcher }).default;

async function ticketFor(product: string, jobId: string, token: string): Promise<string> {
  const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, { token });
  expect(t.status).toBe(201);
  return encodeURIComponent(t.body.ticket);
}

/** The last base64url character's partner: the same 6 bits but for the low ones an unpadded tail drops. */
function flipDroppedBits(part: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const i = alphabet.indexOf(part.at(-1) as string);
  return part.slice(0, -1) + alphabet[i ^ 1];
}

async function viewer(product: string): Promise<string> {
  const r = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
    token: ADMIN,
    json: { role: "viewer", name: "browser" },
  });
  expect(r.status).toBe(201);
  return r.body.token;
}

describe("a feed ticket is single-use", () => {
  it("refuses a viewer's ticket the second time, on either feed, and lets a fresh one in", async () => {
    const product = "ticket-once";
    const job = await submit(product, { title: "watched" });
    const token = await viewer(product);
    const feed = `${P(product)}/jobs/${job.id}/events`;
    for (const [first, second] of [
      ["ws", "ws"],
      ["stream", "ws"],
      ["ws", "stream"],
    ] as const) {
      const ticket = await ticketFor(product, job.id, token);
      expect((await openWithTicket(feed, first, ticket)).status, `${first} first`).toBeLessThan(300);
      expect(await openWithTicket(feed, second, ticket), `${second} again after ${first}`).toEqual({
        status: 401,
        code: "unauthorized",
      });
    }
    const fresh = await openSocket(`${feed}/ws?after=0&ticket=${await ticketFor(product, job.id, token)}`);
    await fresh.next("ready");
    fresh.close();
  });

  it("refuses the admin's ticket the second time too", async () => {
    const product = "ticket-once-admin";
    const job = await submit(product, { title: "watched" });
    const feed = `${P(product)}/jobs/${job.id}/events`;
    const ticket = await ticketFor(product, job.id, ADMIN);
    expect((await openWithTicket(feed, "stream", ticket)).status).toBe(200);
    expect((await openWithTicket(feed, "stream", ticket)).status).toBe(401);
  });

  it("lets exactly one of two streams opened with one ticket at once in", async () => {
    const product = "ticket-once-race";
    const job = await submit(product, { title: "watched" });
    const token = await viewer(product);
    const feed = `${P(product)}/jobs/${job.id}/events`;
    const ticket = await ticketFor(product, job.id, token);
    const both = await Promise.all([openWithTicket(feed, "ws", ticket), openWithTicket(feed, "stream", ticket)]);
    expect(both.filter((r) => r.status < 300)).toHaveLength(1);
    expect(both.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it("refuses a used ticket spelled another way: the same signed ticket opens one stream", async () => {
    const product = "ticket-once-respelled";
    const job = await submit(product, { title: "watched" });
    const token = await viewer(product);
    const feed = `${P(product)}/jobs/${job.id}/events`;
    const raw = decodeURIComponent(await ticketFor(product, job.id, token));
    const [payload, sig] = raw.split(".") as [string, string];
    expect((await openWithTicket(feed, "stream", encodeURIComponent(raw))).status).toBe(200);
    // A 32-byte HMAC is 43 base64url characters: the last one carries 2 bits that decoding drops.
    const spellings = [`${raw}.x`, `${raw}=`, `${payload}.${flipDroppedBits(sig)}`, `${payload}.${sig} `];
    for (const spelled of spellings) {
      expect(await openWithTicket(feed, "stream", encodeURIComponent(spelled)), spelled).toEqual({
        status: 401,
        code: "unauthorized",
      });
    }
  });

  it("a request refused for another reason leaves its ticket unused: the stream opens with it afterwards", async () => {
    const product = "ticket-once-refused";
    const job = await submit(product, { title: "watched" });
    const token = await viewer(product);
    const feed = `${P(product)}/jobs/${job.id}/events`;
    const ticket = await ticketFor(product, job.id, token);
    const noUpgrade = await fetcher().fetch(`http://gf.test${feed}/ws?after=0&ticket=${ticket}`);
    expect(noUpgrade.status).toBe(426);
    await noUpgrade.body?.cancel();
    const badResume = await fetcher().fetch(`http://gf.test${feed}/stream?ticket=${ticket}`, {
      headers: { "last-event-id": "1e3" },
    });
    expect(badResume.status).toBe(400);
    await badResume.body?.cancel();
    expect((await openWithTicket(feed, "ws", ticket)).status).toBe(101);
    expect((await openWithTicket(feed, "stream", ticket)).status).toBe(401);
  });
});
