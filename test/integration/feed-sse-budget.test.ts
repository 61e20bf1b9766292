// All of a job feed's SSE streams together hold at most about FEED_BACKLOG_BYTES for their readers: readers that
// stall are cut off (with a comment saying why) once the feed's streams hold that much, while a reader that keeps up
// is still written every event. Each stream's own 4 MiB limit alone let MAX_WATCHERS stalled readers of a chatty job
// hold 1 GiB — past the memory of the isolate the feed shares with other objects.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FEED_BACKLOG_BYTES } from "../../src/durable-objects/feed/sse.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { holdKeepAlive } from "./feed-keepalive.ts";

/** Readers that never read: twelve at 4 MiB each would hold 48 MiB. */
const STALLED = 12;
const LINE = "y".repeat(1000);

/** Reads `res`'s SSE body as it comes, keeping the highest `id:` seen. */
function follow(res: Response) {
  const seen = { last: 0, text: "" };
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      seen.text = (seen.text + value).slice(-4096);
      for (const m of value.matchAll(/^id: (\d+)$/gm)) seen.last = Math.max(seen.last, Number(m[1]));
    }
  })();
  return { seen, done, cancel: () => reader.cancel() };
}

describe("the SSE streams of one job feed", () => {
  it("hold at most FEED_BACKLOG_BYTES together: stalled readers are cut off, one that keeps up is not", async () => {
    const [product, jobId] = ["sse-budget", "job_budget"];
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    await feed.append(product, jobId, [{ type: "log", at: 0, data: {} }]);
    const open = () => feed.fetch("https://feed/stream?after=0");
    const stalled: Response[] = [];
    for (let i = 0; i < STALLED; i++) stalled.push(await open());
    // Stalled on purpose: two keep-alive rounds (15 s apart, reached on a loaded box) would drop them before the
    // backlog cut them off — another rule, tested in feed-sse-gone-reader.
    await holdKeepAlive(feed);
    const healthy = follow(await open());
    for (let deadline = Date.now() + 5000; ; ) {
      const { streams } = await feed.watchers();
      if (streams.length === STALLED + 1 && streams.every((s) => s.live)) break;
      if (Date.now() > deadline) throw new Error(`streams never all went live: ${JSON.stringify(streams)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Six batches of about 1.1 MB each: every stalled stream would reach its own 4 MiB limit.
    let last = 1;
    for (let b = 0; b < 6; b++) {
      const batch = Array.from({ length: 1000 }, (_, k) => ({ type: "log", at: k, data: { text: LINE } }));
      last = await feed.append(product, jobId, batch);
      // The healthy reader reads everything before the next batch comes: it is never behind when one starts.
      for (let deadline = Date.now() + 10_000; healthy.seen.last < last; ) {
        if (Date.now() > deadline) throw new Error(`the reader that keeps up got to ${healthy.seen.last} of ${last}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await feed.sseBacklog()).toBeLessThanOrEqual(FEED_BACKLOG_BYTES + 1024 * 1024);
    }
    // Only the reader that kept up is still live; the stalled ones end with the reason once read.
    expect((await feed.watchers()).streams).toEqual([{ through: last, live: true }]);
    const text = await stalled[0]!.text();
    expect(text).toMatch(/: too far behind[^\n]*reconnect with Last-Event-ID\n\n$/);
    for (const res of stalled.slice(1)) await res.body?.cancel();
    await healthy.cancel();
  });
});
