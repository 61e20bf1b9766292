// A live feed (WebSocket or SSE) resumed `after` a seq past the feed's last went live at once and then sent the
// watcher events with seqs at or below `after`: the CLI dropped them as already seen, an SSE client could not even
// notice. Seqs come from the feed only and stay monotonic across a retention purge, so such an `after` is a client
// error: 416 `after_beyond_feed` (problem+json, with the feed's `lastSeq`) before any upgrade or stream, nothing
// changed. (Found by a concurrency reviewer.) Resuming from the last seq itself, even after a purge, still works.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, eventsOf, P, submit } from "./client.ts";

const worker = (exports as unknown as { default: Fetcher }).default;
const auth = { authorization: `Bearer ${ADMIN}` };

const openWs = (product: string, jobId: string, after: number) =>
  worker.fetch(`http://gf.test${P(product)}/jobs/${jobId}/events/ws?after=${after}`, {
    headers: { upgrade: "websocket", ...auth },
  });

const openSse = (product: string, jobId: string, headers: Record<string, string>, query = "") =>
  worker.fetch(`http://gf.test${P(product)}/jobs/${jobId}/events/stream${query}`, { headers: { ...auth, ...headers } });

async function expectRefused(res: Response, after: number, lastSeq: number): Promise<void> {
  expect(res.status).toBe(416);
  expect(res.webSocket).toBeNull();
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(await res.json()).toMatchObject({ status: 416, code: "after_beyond_feed", after, lastSeq });
}

describe("a live feed resumed after a seq the feed never reached", () => {
  it("is refused with 416 after_beyond_feed over WebSocket and SSE (after or Last-Event-ID); no watcher is added", async () => {
    const product = "feed-resume-beyond";
    const job = await submit(product, { title: "one event" });
    expect(await eventsOf(product, job.id, 1)).toHaveLength(1);

    await expectRefused(await openWs(product, job.id, 2), 2, 1);
    await expectRefused(await openSse(product, job.id, {}, "?after=7"), 7, 1);
    await expectRefused(await openSse(product, job.id, { "last-event-id": "3" }), 3, 1);
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    expect(await feed.watchers()).toEqual({ sockets: [], streams: [] });

    // The last seq itself is where a watcher that saw everything resumes: accepted, and live at once.
    const ws = await openWs(product, job.id, 1);
    expect(ws.status).toBe(101);
    ws.webSocket?.accept();
    ws.webSocket?.close(1000, "done");
    const sse = await openSse(product, job.id, { "last-event-id": "1" });
    expect(sse.status).toBe(200);
    await sse.body?.cancel();
  });

  it("a purged feed keeps its last seq: resuming from it is accepted, one past it refused", async () => {
    const product = "feed-resume-purged";
    const job = await submit(product, { title: "purged" });
    const events = await eventsOf(product, job.id, 1);
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    await feed.purge(Number.MAX_SAFE_INTEGER);
    expect(await feed.list(0, 10)).toEqual({ events: [], lastSeq: events.length });

    await expectRefused(await openWs(product, job.id, events.length + 1), events.length + 1, events.length);
    const ws = await openWs(product, job.id, events.length);
    expect(ws.status).toBe(101);
    ws.webSocket?.accept();
    ws.webSocket?.close(1000, "done");
  });
});
