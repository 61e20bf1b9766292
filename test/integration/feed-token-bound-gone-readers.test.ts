// The per-token stream bound of a job's feed (MAX_WATCHERS_PER_TOKEN) counts what the job's watcher cap counts — SSE
// streams still held (feed/sse `held`) — not every client the feed has not pruned yet (workerd: real JobFeed, the
// Worker's GET …/events/stream). A token's 16 readers that went away free their 16 slots as soon as their streams are
// gone, within the keep-alive window (held here, so no round prunes them): 16 more streams of that token open, not 429
// — a job page reloaded 16 times was locked out until a keep-alive round passed. And 16 live streams of one token
// refuse its 17th: 429 `limit_exceeded`, saying the bound is per token. Where the runtime tells a stream its reader
// left, it cancels the body the feed handed out; a cancel does not cross the test's stub boundary (workerd#6832), so
// the departed readers' streams are opened and cancelled inside the feed object, under the token's hash.
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OPENED_BY_PARAM } from "../../src/durable-objects/feed/revocation.ts";
import { MAX_WATCHERS_PER_TOKEN } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { sha256Hex } from "../../src/worker/auth.ts";
import worker from "../../src/worker/index.ts";
import { mintToken, P, submit } from "./client";
import { heldSse, holdKeepAlive } from "./feed-keepalive.ts";

/** `GET …/events/stream` as `token`, its response unread (a stream: the body never ends by itself). */
async function openStream(product: string, jobId: string, token: string): Promise<Response> {
  const request = new Request(`http://gf.test${P(product)}/jobs/${jobId}/events/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return worker.fetch(request as Parameters<typeof worker.fetch>[0], env, createExecutionContext());
}

/** Reads `res` until its first chunk: the feed has accepted the stream and written to it. */
async function firstChunk(res: Response): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const { done } = await reader.read();
  expect(done).toBe(false);
  return reader;
}

describe("one token's SSE streams of a job's feed", () => {
  it("free their slots once their readers are gone, before any keep-alive; 16 live ones refuse a 17th", async () => {
    const product = "feed-token-gone";
    const viewer = await mintToken(product, "viewer", "dashboard");
    const job = await submit(product, { title: "watched" });
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));

    const opener = await sha256Hex(viewer.token);
    // 16 readers of the token, each past its stream's first chunk, that then go away: their bodies cancelled.
    await runInDurableObject(feed, async (instance) => {
      const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
      for (let i = 0; i < MAX_WATCHERS_PER_TOKEN; i++) {
        const res = await instance.fetch(new Request(`https://feed/stream?after=0&${OPENED_BY_PARAM}=${opener}`));
        readers.push(await firstChunk(res));
      }
      for (const r of readers) await r.cancel();
    });
    await holdKeepAlive(feed); // no round prunes what follows: the window a reload falls in
    await expect.poll(() => heldSse(feed)).toBe(0); // gone, as the job's cap counts them — not yet pruned

    const second: ReadableStreamDefaultReader<Uint8Array>[] = [];
    try {
      for (let i = 0; i < MAX_WATCHERS_PER_TOKEN; i++) {
        const res = await openStream(product, job.id, viewer.token);
        expect({ stream: MAX_WATCHERS_PER_TOKEN + i + 1, status: res.status }).toEqual({
          stream: MAX_WATCHERS_PER_TOKEN + i + 1,
          status: 200,
        });
        second.push(await firstChunk(res));
      }
      // Now 16 live streams: the token's next one is refused, saying it is the token's bound, not the job's.
      const over = await openStream(product, job.id, viewer.token);
      const problem = (await over.json()) as { code?: string; detail?: string };
      expect(over.status).toBe(429);
      expect(problem.code).toBe("limit_exceeded");
      expect(problem.detail).toContain("per token");
    } finally {
      for (const r of second) await r.cancel();
    }
  });
});
