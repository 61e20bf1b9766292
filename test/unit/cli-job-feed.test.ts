// `gigafactory watch`'s feed follower against a real local SSE server that keeps dropping the connection:
// every event arrives once, in order; resumption asks from the last seq seen; a 4xx is final, and so is a 2xx that
// is not an event stream (bad_response); what it passes over (an unreadable frame, a gap in the seqs) it says.
import { afterEach, describe, expect, it } from "vitest";
import { CliError, UNREACHABLE_FIX } from "../../src/cli/errors.ts";
import { followJobFeed } from "../../src/cli/job-feed.ts";
import { ApiError, type Backoff, type JobEvent } from "../../src/shared/http-client.ts";
import { client, feedServer, frame } from "./feed-sse-server.ts";

const FAST: Backoff = { maxAttempts: 5, minDelayMs: 1, maxDelayMs: 5, factor: 2, jitter: 0 };
const LOG: JobEvent[] = Array.from({ length: 10 }, (_, i) => ({
  seq: i + 1,
  type: i === 9 ? "job.stage" : "log",
  at: 1000 + i,
  data: i === 9 ? { from: "testing", to: "shipped" } : { line: `line ${i + 1}` },
}));

const feed = feedServer();
afterEach(() => feed.close());
const serve = feed.serve;

describe("followJobFeed", () => {
  it("delivers every event exactly once and in order across repeated disconnects, resuming from the last seq", async () => {
    const asked: Array<{ header: string | undefined; query: string | null }> = [];
    const url = await serve((req, res, n) => {
      const u = new URL(req.url!, "http://x");
      asked.push({ header: req.headers["last-event-id"] as string | undefined, query: u.searchParams.get("after") });
      const after = Number(u.searchParams.get("after") ?? req.headers["last-event-id"] ?? 0);
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Replay one event the client already has (an overlap), then two new ones, then drop the connection:
      // abruptly on odd connections, cleanly on even ones.
      const batch = LOG.filter((e) => e.seq >= Math.max(1, after) && e.seq <= after + 2);
      if (n % 2 === 1) res.write(batch.map(frame).join(""), () => res.socket?.destroy());
      else res.end(batch.map(frame).join(""));
    });
    const seen: number[] = [];
    const last = await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: { ...FAST, maxAttempts: 50 },
      onEvent: (e) => {
        seen.push(e.seq);
        return e.seq === 10;
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(last).toBe(10);
    // Each reconnection asks from the last seq delivered so far (a connection dropped before its data arrived
    // asks again from the same place): never backwards, never past what was seen.
    const from = asked.map((a) => Number(a.query));
    expect(from[0]).toBe(0);
    expect(from.every((x, i) => i === 0 || x >= from[i - 1]!)).toBe(true);
    expect(from.every((x) => [0, 2, 4, 6, 8].includes(x))).toBe(true);
    expect(asked.slice(1).every((a) => a.header === a.query)).toBe(true);
  });

  it("starts after the given seq", async () => {
    const url = await serve((req, res) => {
      const after = Number(new URL(req.url!, "http://x").searchParams.get("after"));
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        LOG.filter((e) => e.seq > after)
          .map(frame)
          .join(""),
      );
    });
    const seen: number[] = [];
    await followJobFeed(client(url), "job_1", {
      after: 7,
      backoff: FAST,
      onEvent: (e) => {
        seen.push(e.seq);
        return e.seq === 10;
      },
    });
    expect(seen).toEqual([8, 9, 10]);
  });

  it("says what it passed over: a frame that is not a job event, and a gap in the seqs (a purged log)", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const at = (seq: number) => LOG[seq - 1]!;
      res.end(`${frame(at(1))}id: 2\ndata: not json\n\n${frame(at(4))}${frame(at(6))}${frame(at(10))}`);
    });
    const seen: number[] = [];
    const notes: string[] = [];
    await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: FAST,
      onEvent: (e) => {
        seen.push(e.seq);
        return e.seq === 10;
      },
      onSkipped: (note) => notes.push(note),
    });
    expect(seen).toEqual([1, 4, 6, 10]);
    expect(notes).toEqual([
      'a frame that is not a job event was skipped (id "2")',
      "events 2–3 were not received (retention purges an ended job's log)",
      "event 5 was not received (retention purges an ended job's log)",
      "events 7–9 were not received (retention purges an ended job's log)",
    ]);
  });

  it("reconnects after a 5xx answer but stops at once on a 4xx problem, without retrying", async () => {
    let calls = 0;
    const url = await serve((_req, res, n) => {
      calls++;
      if (n === 0) {
        res.writeHead(503, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ type: "t", title: "down", status: 503, detail: "restarting", code: "internal" }));
        return;
      }
      res.writeHead(404, { "content-type": "application/problem+json" });
      res.end(
        JSON.stringify({
          type: "t",
          title: "Not found",
          status: 404,
          detail: "job job_1 does not exist",
          code: "not_found",
        }),
      );
    });
    const err = await followJobFeed(client(url), "job_1", { after: 0, backoff: FAST, onEvent: () => false }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("not_found");
    expect(calls).toBe(2);
  });

  it("stops at once with bad_response on a 2xx that is not an event stream, instead of reconnecting", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>Sign in</html>");
    });
    const retries: number[] = [];
    const err = await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: { ...FAST, maxAttempts: 30 },
      onEvent: () => false,
      onRetry: (r) => retries.push(r.attempt),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe("bad_response");
    expect((err as CliError).message).toBe('the job feed answered "text/html", not an event stream');
    expect({ calls, retries }).toEqual({ calls: 1, retries: [] });
  });

  it("gives up after the configured number of consecutive failed connections", async () => {
    const url = await serve((_req, res) => res.socket?.destroy());
    const retries: number[] = [];
    const err = await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: { ...FAST, maxAttempts: 3 },
      onEvent: () => false,
      onRetry: (r) => retries.push(r.attempt),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(retries).toEqual([1, 2]);
  });

  it("gives up on a coordinator gone saying so, how long it kept trying, and where to resume (--after)", async () => {
    // It ended a watch with the bare `unreachable … / check --url …`: started again without --after, a watch prints
    // every event from the first; and its reconnect notes did not say how many tries it makes.
    let up = true;
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(frame(LOG[0]!), () => {
        up = false;
        feed.close(); // the coordinator goes away after its first event
      });
    });
    const told: Array<{ attempt: number; of: number }> = [];
    const err = await followJobFeed(client(url), "job_1", {
      after: 0,
      backoff: { ...FAST, maxAttempts: 3 },
      onEvent: () => false,
      onRetry: ({ attempt, of }) => told.push({ attempt, of }),
    }).catch((e: unknown) => e);
    expect(up).toBe(false);
    expect(told).toEqual([
      { attempt: 1, of: 2 },
      { attempt: 2, of: 2 },
    ]);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ code: "unreachable", exitCode: 1 });
    expect((err as CliError).message).toMatch(/^cannot reach .* \(3 tries in a row: the watch gave up\)$/);
    expect((err as CliError).fix).toBe(`${UNREACHABLE_FIX}, then watch again with --after 1`);
  });
});
