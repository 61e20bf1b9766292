// An SSE stream cut off for falling too far behind still holds its backlog until its reader drains it, so it still
// counts toward the job's watcher cap until then: a reader that stalls, is cut off and opens another stream cannot
// pile up one backlog per stream past the cap. Once the old stream is read to its end, its slot is free again.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_WATCHERS } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { holdKeepAlive } from "./feed-keepalive.ts";

const LINE = "y".repeat(1000);

describe("an SSE stream cut off for being too far behind", () => {
  it("counts toward the watcher cap until its reader has drained it", async () => {
    const [product, jobId] = ["sse-drain", "job_drain"];
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    await feed.append(product, jobId, [{ type: "log", at: 0, data: {} }]);
    const open = () => feed.fetch("https://feed/stream?after=0");
    const stalled = await open();
    await holdKeepAlive(feed);
    for (let deadline = Date.now() + 5000; !(await feed.watchers()).streams[0]?.live; ) {
      if (Date.now() > deadline) throw new Error("stream never went live");
      await new Promise((r) => setTimeout(r, 10));
    }
    // Live events to a reader that reads nothing, until the feed cuts it off (past its 4 MiB backlog limit).
    for (let i = 0; i < 16 && (await feed.watchers()).streams.length > 0; i++) {
      const batch = Array.from({ length: 1000 }, (_, k) => ({ type: "log", at: k, data: { text: LINE } }));
      await feed.append(product, jobId, batch);
    }
    expect((await feed.watchers()).streams).toEqual([]);
    // The cut-off stream, not yet drained, still holds a slot: MAX_WATCHERS - 1 more fit, and no more.
    const others: Response[] = [];
    for (let i = 0; i < MAX_WATCHERS - 1; i++) {
      const res = await open();
      expect(res.status).toBe(200);
      others.push(res);
    }
    const over = await open();
    expect(over.status).toBe(429);
    await over.body?.cancel();
    // Read to its end, the cut-off stream frees its slot.
    const reader = stalled.body!.getReader();
    for (;;) if ((await reader.read()).done) break;
    let again = await open();
    for (let deadline = Date.now() + 5000; again.status === 429; again = await open()) {
      await again.body?.cancel();
      if (Date.now() > deadline) throw new Error("a drained stream still holds its slot");
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(again.status).toBe(200);
    for (const res of [...others, again]) await res.body?.cancel();
  });
});
