// `gigafactory watch`'s feed follower waits out the Retry-After of a 429 or 503 that carries no Gigafactory problem
// (a proxy's or a gateway's rate limit), read from that answer's own header (shared/http-transport ApiError
// `retryAfter`): it honoured only the problem's `retryAfterSeconds`, so a proxy that said "60" was retried at the
// backoff's shortest wait, and the watch gave up within a minute. A 429 without the header keeps the backoff's own
// wait. Each case stops at its first retry (aborted): the wait is read, not slept.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { followJobFeed } from "../../src/cli/job-feed.ts";
import { type Backoff, GigafactoryClient } from "../../src/shared/http-client.ts";
import { feedServer } from "./feed-sse-server.ts";

const FAST: Backoff = { maxAttempts: 5, minDelayMs: 1, maxDelayMs: 5, factor: 2, jitter: 0 };
const feed = feedServer();
afterEach(() => feed.close());

/** A gateway's rate limit: an HTML page, no problem code, and `Retry-After` when `header` is given. */
function rateLimited(res: ServerResponse, header?: string): void {
  res.writeHead(429, { "content-type": "text/html", ...(header ? { "retry-after": header } : {}) });
  res.end("<html><body>Too many requests</body></html>");
}

/** The delay of the follower's first retry against `url`. */
async function firstDelay(url: string): Promise<number> {
  const client = new GigafactoryClient({ url, token: "t", product: "p" });
  const abort = new AbortController();
  const delays: number[] = [];
  await followJobFeed(client, "job_1", {
    after: 0,
    backoff: FAST,
    signal: abort.signal,
    onEvent: () => false,
    onRetry: (r) => {
      delays.push(r.delayMs);
      abort.abort();
    },
  });
  expect(delays).toHaveLength(1);
  return delays[0] ?? -1;
}

describe("the feed follower and a proxy's Retry-After", () => {
  it("waits the seconds a codeless 429 names in its header", async () => {
    const url = await feed.serve((_req, res) => rateLimited(res, "60"));
    expect(await firstDelay(url)).toBe(60_000);
  });

  it("keeps the backoff's own wait without the header", async () => {
    const bare = await feed.serve((_req, res) => rateLimited(res));
    expect(await firstDelay(bare)).toBe(1);
  });
});
