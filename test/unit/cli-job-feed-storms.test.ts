// `gigafactory watch`'s feed follower against a local SSE server that ends its streams on purpose: a stream the feed
// ends with a reason (a reader too far behind, a purge) is reconnected with that reason in the note, not the bare
// "the feed closed" of a server that failed; a keep-alive or the stream's opening line is no reason. A 429 at the
// job's watcher cap (a reconnect storm) is retried after at least the wait it names, not taken for a final refusal;
// a feed that answers but never delivers is given up as that, naming where to resume, not as "cannot reach"; a slow
// refusal is a failure like a quick one, not a healthy connection that starts the backoff over.

import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.ts";
import { followJobFeed, MAX_RETRY_AFTER_MS, retryAfterMs } from "../../src/cli/job-feed.ts";
import type { Backoff, JobEvent } from "../../src/shared/http-client.ts";
import { client, feedServer, frame } from "./feed-sse-server.ts";

const FAST: Backoff = { maxAttempts: 5, minDelayMs: 1, maxDelayMs: 5, factor: 2, jitter: 0 };
const event = (seq: number): JobEvent => ({ seq, type: "log", at: 1000 + seq, data: { line: `line ${seq}` } });

const feed = feedServer();
afterEach(() => feed.close());
const serve = feed.serve;

describe("followJobFeed when the feed ends its streams", () => {
  it("names the reason the feed gave for ending a stream in its reconnect note", async () => {
    const endings = [
      ": too far behind: reconnect with Last-Event-ID to resume\n\n",
      ": feed pruned by retention\n\n",
      ": keep-alive\n\n",
      "",
    ];
    const url = await serve((req, res, n) => {
      const after = Number(new URL(req.url!, "http://x").searchParams.get("after"));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`: job feed, resuming after ${after}\n\n${frame(event(after + 1))}${endings[n] ?? ""}`);
    });
    const reasons: string[] = [];
    await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: FAST,
      onEvent: (e) => e.seq === 5,
      onRetry: (r) => reasons.push(r.reason),
    });
    expect(reasons).toEqual([
      "the feed closed the stream: too far behind: reconnect with Last-Event-ID to resume",
      "the feed closed the stream: feed pruned by retention",
      "the feed closed",
      "the feed closed",
    ]);
  });

  it("clips a long closing comment, and takes no comment before the stream's last event for a reason", async () => {
    const url = await serve((req, res, n) => {
      const after = Number(new URL(req.url!, "http://x").searchParams.get("after"));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(n === 0 ? `: ${"x".repeat(5000)}\n\n` : `: stale reason\n\n${frame(event(after + 1))}`);
    });
    const reasons: string[] = [];
    await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: FAST,
      onEvent: (e) => e.seq === 2,
      onRetry: (r) => reasons.push(r.reason),
    });
    expect(reasons).toEqual([`the feed closed the stream: ${"x".repeat(200)}…`, "the feed closed"]);
  });
});

/** The feed's answer at its watcher cap (worker/routes/events), naming `retryAfterSeconds`. */
function capped(res: ServerResponse, retryAfterSeconds: number): void {
  res.writeHead(429, { "content-type": "application/problem+json", "retry-after": String(retryAfterSeconds) });
  res.end(
    JSON.stringify({
      type: "https://gigafactory.dev/problems/limit_exceeded",
      title: "Limit exceeded",
      status: 429,
      detail: "this job already has 256 watchers (at most 256); close one first",
      code: "limit_exceeded",
      retryAfterSeconds,
    }),
  );
}

describe("followJobFeed at the job's watcher cap", () => {
  it("waits at least the refusal's Retry-After, then follows once a slot is free", async () => {
    const url = await serve((req, res, n) => {
      if (n < 2) return capped(res, 0.002);
      const after = Number(new URL(req.url!, "http://x").searchParams.get("after"));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(frame(event(after + 1)));
    });
    const retries: Array<{ attempt: number; delayMs: number; reason: string }> = [];
    const seen: number[] = [];
    await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: { ...FAST, minDelayMs: 0, maxDelayMs: 0 },
      onEvent: (e) => {
        seen.push(e.seq);
        return true;
      },
      onRetry: (r) => retries.push(r),
    });
    expect(seen).toEqual([1]);
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(retries[0]?.reason).toContain("limit_exceeded: this job already has 256 watchers");
  });

  it("names the wait in its note (jittered up, capped at five minutes), and stops when aborted meanwhile", async () => {
    const url = await serve((_req, res) => capped(res, 86_400));
    const abort = new AbortController();
    const retries: number[] = [];
    const last = await followJobFeed(client(url), "job_1", {
      after: 4,
      backoff: { ...FAST, jitter: 0 },
      signal: abort.signal,
      onEvent: () => false,
      onRetry: (r) => {
        retries.push(r.delayMs);
        abort.abort();
      },
    });
    expect({ last, retries }).toEqual({ last: 4, retries: [MAX_RETRY_AFTER_MS] });
    expect(retryAfterMs(new Error("x"), FAST, Math.random, 0)).toBe(0);
  });
});

describe("followJobFeed giving up on a feed that answers but never delivers", () => {
  it("says the feed answered and where to resume, not that the coordinator cannot be reached", async () => {
    let calls = 0;
    const url = await serve((req, res) => {
      calls++;
      const after = Number(new URL(req.url!, "http://x").searchParams.get("after"));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`: job feed, resuming after ${after}\n\n`);
    });
    const err = await followJobFeed(client(url), "job_1", {
      after: 4,
      backoff: { ...FAST, maxAttempts: 3 },
      onEvent: () => false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({
      code: "unavailable",
      message: "the job feed of job_1 answered but delivered no event 3 times in a row (last: the feed closed)",
      fix: "check the coordinator (`gigafactory health`) and any proxy in between, then watch again with --after 4",
    });
    expect(calls).toBe(3);
  });
});

describe("followJobFeed against a coordinator that refuses slowly", () => {
  it("counts a slow 503 as a failure, not as a healthy connection that starts the backoff over", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      if (calls > 5) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(frame(event(1)));
        return;
      }
      res.writeHead(503, { "content-type": "application/problem+json" });
      res.end(
        JSON.stringify({ type: "t", title: "Unavailable", status: 503, detail: "overloaded", code: "unavailable" }),
      );
    });
    // Each answer takes 6 s on this clock: longer than a healthy stream must last, though no stream ever opened.
    let t = 0;
    const retries: number[] = [];
    const err = await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: { ...FAST, maxAttempts: 3 },
      now: () => {
        t += 6000;
        return t;
      },
      onEvent: () => true,
      onRetry: (r) => retries.push(r.attempt),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: "unavailable" });
    expect({ calls, retries }).toEqual({ calls: 3, retries: [1, 2] });
  });
});
