// A HEAD of a job's live feed opens nothing: it is told the SSE headers (or 426 for the WebSocket endpoint, 404 for a
// job that does not exist) without a stream in the job's feed, a watcher counted toward its cap, or its ticket used
// up. A HEAD's body is never read, so each HEAD left a stream in the feed (kept awake by the keep-alive), and
// MAX_WATCHERS of them locked every watcher of the job out with 429; a browser's ticket probed by a HEAD was spent.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, api, mintToken, P, submit } from "./client";

const worker = (exports as unknown as { default: Fetcher }).default;
const auth = { authorization: `Bearer ${ADMIN}` };

describe("HEAD of a live feed", () => {
  it("answers the SSE headers and opens no stream, so HEADs never fill the job's watcher cap", async () => {
    const product = "feed-head";
    const job = await submit(product, { title: "watched" });
    const path = `http://gf.test${P(product)}/jobs/${job.id}/events`;
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    // Each HEAD held one of the job's MAX_WATCHERS slots: no stream after any of them means none is ever taken.
    for (let i = 0; i < 3; i++) {
      const head = await worker.fetch(`${path}/stream?after=0`, { method: "HEAD", headers: auth });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toBe("text/event-stream");
      expect(await feed.watchers()).toEqual({ sockets: [], streams: [] });
    }
    const get = await worker.fetch(`${path}/stream?after=0`, { headers: auth });
    expect(get.status).toBe(200);
    await get.body?.cancel();
  });

  it("does not use a ticket up, is 426 on the WebSocket endpoint and 404 for a job that does not exist", async () => {
    const product = "feed-head-ticket";
    const job = await submit(product, { title: "watched" });
    const path = `http://gf.test${P(product)}/jobs/${job.id}/events`;
    const { token } = await mintToken(product, "viewer");
    const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${job.id}/events/ticket`, { token });
    const ticket = encodeURIComponent(t.body.ticket);
    expect((await worker.fetch(`${path}/stream?ticket=${ticket}`, { method: "HEAD" })).status).toBe(200);
    const ws = await worker.fetch(`${path}/ws?ticket=${ticket}`, { method: "HEAD" });
    expect([ws.status, ws.webSocket]).toEqual([426, null]);
    const gone = `http://gf.test${P(product)}/jobs/no-such-job/events/stream`;
    expect((await worker.fetch(gone, { method: "HEAD", headers: auth })).status).toBe(404);
    expect((await env.JOB_FEED.getByName(feedName(product, job.id)).watchers()).streams).toEqual([]);
    // The ticket the HEADs carried still opens its one stream.
    const get = await worker.fetch(`${path}/stream?ticket=${ticket}`);
    expect(get.status).toBe(200);
    await get.body?.cancel();
  });
});
