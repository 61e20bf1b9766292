// `gigafactory watch`'s feed follower waits out the Retry-After of a 429 or 503 that carries no Gigafactory problem
// (a proxy's or a gateway's rate limit), read from the answer's header as it arrives (cli/retry-after
// `retryAfterNotes`, passed as `retryAfterHeader`): it honoured only the problem's `retryAfterSeconds`, so a proxy
// that said "60" was retried at the backoff's shortest wait, and the watch gave up within a minute. A 429 without
// the header keeps the backoff's own wait. Each case stops at its first retry (aborted): the wait is read, not slept.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { followJobFeed } from "../../src/cli/job-feed.ts";
import { retryAfterNotes } from "../../src/cli/retry-after.ts";
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

/** The delay of the follower's first retry against `url`, with the header noted or not. */
async function firstDelay(url: string, noted: boolean): Promise<number> {
  const notes = retryAfterNotes((input, init) => fetch(input, init), Date.now);
  const client = new GigafactoryClient({ url, token: "t", product: "p", fetch: notes.fetch });
  const abort = new AbortController();
  const delays: number[] = [];
  await followJobFeed(client, "job_1", {
    after: 0,
    backoff: FAST,
    signal: abort.signal,
    onEvent: () => false,
    ...(noted ? { retryAfterHeader: notes.last } : {}),
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
    expect(await firstDelay(url, true)).toBe(60_000);
  });

  it("keeps the backoff's own wait without the header, or when the header is not passed on", async () => {
    const bare = await feed.serve((_req, res) => rateLimited(res));
    expect(await firstDelay(bare, true)).toBe(1);
    await feed.close();
    const said = await feed.serve((_req, res) => rateLimited(res, "60"));
    expect(await firstDelay(said, false)).toBe(1);
  });
});
