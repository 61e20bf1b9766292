// A reconnect refused at a job's watcher cap costs the product's coordinator (almost) nothing (workerd, real objects,
// the Worker's handler with coordinator stubs that count every call): the Worker asks the job's feed for a slot first
// (feed/watcher-slots) as soon as the job is known to exist, so a ticket's reconnect is refused with 429 after NO
// coordinator call, the admin's after one (openFeed), another token's after its authentication and its registration
// — where each used to cost registering the watcher (spending the ticket), opening the feed and giving the ticket
// back: three calls per refusal, and a storm of reconnects to a popular job became coordinator load. Tickets refused
// so are never spent. Reconnects racing for the last free slots: exactly as many get in as there are slots, the rest
// are refused at the reserve (no ticket spent and given back for them).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_WATCHERS } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, mintToken, P, submit } from "./client";
import { countingWorker, spentTickets, ticketFor } from "./counting-worker.ts";

/** A job whose feed holds MAX_WATCHERS WebSocket watchers (opened at the feed itself: the cap is what is under test). */
async function fullFeed(product: string) {
  const job = await submit(product, { title: "popular" });
  const feed = env.JOB_FEED.getByName(feedName(product, job.id));
  const sockets: WebSocket[] = [];
  for (let i = 0; i < MAX_WATCHERS; i++) {
    const res = await feed.fetch("https://feed/ws?after=0&by=admin", { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    sockets.push(res.webSocket!);
  }
  /** Closes `n` watchers and waits until the feed no longer counts them. */
  const free = async (n: number) => {
    for (const ws of sockets.splice(0, n)) ws.close(1000, "done");
    for (let deadline = Date.now() + 5000; (await feed.watchers()).sockets.length > sockets.length; ) {
      if (Date.now() > deadline) throw new Error("closed sockets still counted");
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { job, feed, sockets, free, path: `http://gf.test${P(product)}/jobs/${job.id}/events` };
}

async function refused(res: Response) {
  const body = (await res.json()) as { code: string };
  return [res.status, res.headers.get("content-type")?.split(";")[0], body.code];
}
const AT_CAP = [429, "application/problem+json", "limit_exceeded"];

describe("a reconnect refused at the watcher cap", () => {
  it("costs no coordinator call with a ticket, one with the admin's token, authentication + one with another", async () => {
    const product = "feed-cap-calls";
    const { job, path, free } = await fullFeed(product);
    const { token: viewer } = await mintToken(product, "viewer");
    const wsTicket = await ticketFor(product, job.id, viewer);
    const sseTicket = await ticketFor(product, job.id, viewer);
    const calls: string[] = [];
    const get = countingWorker(calls);

    const ws = await get(`${path}/ws?ticket=${wsTicket}`, { headers: { upgrade: "websocket" } });
    expect(ws.headers.get("retry-after")).not.toBeNull();
    expect(await refused(ws)).toEqual(AT_CAP);
    expect(calls.splice(0)).toEqual([]);
    expect(await refused(await get(`${path}/stream?ticket=${sseTicket}`))).toEqual(AT_CAP);
    expect(calls.splice(0)).toEqual([]);
    const admin = await get(`${path}/stream?after=0`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await refused(admin)).toEqual(AT_CAP);
    expect(calls.splice(0)).toEqual(["openFeed"]);
    const byViewer = await get(`${path}/stream`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(await refused(byViewer)).toEqual(AT_CAP);
    expect(calls.splice(0)).toEqual(["authenticate", "recordFeedWatcher"]);

    // No ticket was spent by a refusal: once a slot is free, each opens its one stream.
    expect(await spentTickets(product)).toBe(0);
    await free(2);
    const sse = await get(`${path}/stream?ticket=${sseTicket}`);
    expect(sse.status).toBe(200);
    const again = await get(`${path}/ws?ticket=${wsTicket}`, { headers: { upgrade: "websocket" } });
    expect(again.status).toBe(101);
    again.webSocket!.accept();
    again.webSocket!.close(1000, "done");
    await sse.body?.cancel();
    await free(MAX_WATCHERS);
  });

  it("of many reconnects racing for the last free slots, as many get in as there are slots; no ticket spent for the rest", async () => {
    const product = "feed-cap-race";
    const { job, path, free } = await fullFeed(product);
    const { token: viewer } = await mintToken(product, "viewer");
    const tickets = await Promise.all(Array.from({ length: 10 }, () => ticketFor(product, job.id, viewer)));
    await free(2);
    const calls: string[] = [];
    const get = countingWorker(calls);
    const answers = await Promise.all(tickets.map((t) => get(`${path}/stream?ticket=${t}`)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, ...Array(8).fill(429)]);
    // Registered and opened once per stream let in; nothing spent and given back for the refused.
    expect(calls.sort()).toEqual(["openFeed", "openFeed", "recordFeedWatcher", "recordFeedWatcher"]);
    expect(await spentTickets(product)).toBe(2);
    for (const r of answers) await r.body?.cancel();
    await free(MAX_WATCHERS);
  });
});
