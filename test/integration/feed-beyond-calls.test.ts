// A live-feed resume point past the job's feed's end (416 `after_beyond_feed`) costs a ticket holder one coordinator
// call (workerd, real objects, the Worker's handler with coordinator stubs that count every call): the Worker asks the
// job's feed for its last seq before registering the stream, and only when `after` is past it ships the job's held
// events (openFeed) and asks again — where it used to register the stream (spending the ticket), open the feed, and
// give the ticket back on the feed's refusal: three calls per refused resume. The ticket is never spent by it, and a
// resume inside the feed costs no call more than before (register and open), whatever the token.
import { describe, expect, it } from "vitest";
import { ADMIN, mintToken, P, submit } from "./client";
import { countingWorker, spentTickets, ticketFor } from "./counting-worker.ts";

async function refused(res: Response) {
  const body = (await res.json()) as { code: string; lastSeq: number };
  return [res.status, res.headers.get("content-type")?.split(";")[0], body.code, body.lastSeq];
}

describe("a live-feed resume point past the feed's end", () => {
  it("costs a ticket holder one coordinator call (openFeed) and leaves the ticket unspent", async () => {
    const product = "feed-beyond-calls";
    const job = await submit(product, { title: "resumed" });
    const { token: viewer } = await mintToken(product, "viewer");
    const path = `http://gf.test${P(product)}/jobs/${job.id}/events`;
    const calls: string[] = [];
    const get = countingWorker(calls);
    const BEYOND = [416, "application/problem+json", "after_beyond_feed", 1]; // the job's one event: submitted

    for (const [kind, init] of [
      ["stream", {}],
      ["ws", { headers: { upgrade: "websocket" } }],
    ] as const) {
      const ticket = await ticketFor(product, job.id, viewer);
      expect(await refused(await get(`${path}/${kind}?ticket=${ticket}&after=99`, init))).toEqual(BEYOND);
      expect({ kind, calls: calls.splice(0) }).toEqual({ kind, calls: ["openFeed"] });
      const viaHeader = await get(`${path}/${kind}?ticket=${ticket}`, {
        headers: { ...init.headers, "last-event-id": "2" },
      });
      expect(await refused(viaHeader)).toEqual(BEYOND);
      expect(calls.splice(0)).toEqual(["openFeed"]);
      expect(await spentTickets(product)).toBe(0);
    }

    // The admin's and another token's refusals cost what they did: openFeed; authentication, registration, openFeed.
    const admin = await get(`${path}/stream?after=99`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await refused(admin)).toEqual(BEYOND);
    expect(calls.splice(0)).toEqual(["openFeed"]);
    const byViewer = await get(`${path}/stream?after=99`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(await refused(byViewer)).toEqual(BEYOND);
    expect(calls.splice(0)).toEqual(["authenticate", "recordFeedWatcher", "openFeed"]);

    // A resume inside the feed (its last seq) opens with the ticket, for no call more than before: register, open.
    const ticket = await ticketFor(product, job.id, viewer);
    const ok = await get(`${path}/stream?ticket=${ticket}&after=1`);
    expect(ok.status).toBe(200);
    expect(calls.splice(0)).toEqual(["recordFeedWatcher", "openFeed"]);
    expect(await spentTickets(product)).toBe(1);
    await ok.body?.cancel();
  });
});
