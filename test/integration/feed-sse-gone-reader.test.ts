// An SSE watcher whose reader went away gives its slot back: the runtime does not always cancel a response body when
// its client disconnects (workerd#6832), so an unread stream stayed open and counted toward the job's watcher cap
// for good on a quiet job — a flaky client's reconnects closed the feed to everyone. At each keep-alive a stream
// whose reader took nothing since the last one is dropped; a reader that keeps reading stays, however quiet the job.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { heldSse as held, pingSse as ping } from "./feed-keepalive.ts";

/** Reads `res` until `text` has arrived. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string, seen = { s: "" }) {
  const dec = new TextDecoder();
  while (!seen.s.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${text}"`);
    seen.s += dec.decode(value);
  }
}

describe("an SSE watcher whose reader took nothing for a keep-alive interval", () => {
  it("is dropped and frees its slot, while a reader that reads stays", async () => {
    const [product, jobId] = ["sse-gone", "job_gone"];
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    await feed.append(product, jobId, [{ type: "log", at: 0, data: {} }]);
    const gone = await feed.fetch("https://feed/stream?after=0"); // never read: its client went away
    const kept = await feed.fetch("https://feed/stream?after=0");
    const reader = kept.body!.getReader();
    const seen = { s: "" };
    await readUntil(reader, "id: 1", seen);
    expect((await feed.watchers()).streams).toHaveLength(2);
    expect(await held(feed)).toBe(2);

    await ping(feed); // the baseline: nothing is judged on a stream's first check
    await readUntil(reader, "keep-alive", seen);
    expect((await feed.watchers()).streams).toHaveLength(2);
    seen.s = "";
    await ping(feed); // the unread stream took nothing since: dropped; the read one took its keep-alive
    await readUntil(reader, "keep-alive", seen);
    await expect.poll(async () => (await feed.watchers()).streams.length).toBe(1);
    await expect.poll(() => held(feed)).toBe(1); // its slot is free: `gone`, not only ended
    await expect.poll(() => feed.sseBacklog()).toBeLessThan(64); // and its backlog dropped

    // The live reader still gets events.
    await feed.append(product, jobId, [{ type: "log", at: 1, data: { text: "after" } }]);
    await readUntil(reader, "id: 2", seen);
    await reader.cancel();
    await gone.body?.cancel().catch(() => undefined);
  });
});
