// A job feed's memory is bounded per job: long replays go out in pages at the watcher's pace (WebSocket `more`, SSE backpressure), and a job has at most MAX_WATCHERS watchers.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PAGE_EVENTS } from "../../src/durable-objects/feed/event-log.ts";
import { MAX_WATCHERS } from "../../src/durable-objects/job-feed.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { WATCHER_CAP_RETRY_AFTER_S } from "../../src/worker/routes/events.ts";
import { ADMIN, api, P, submit } from "./client";
import { openSocket, type TestSocket } from "./sockets";

/** 6,000 events of ~1 KB: 12 pages, 6 MB — a log the old replay sent whole, synchronously, to every watcher. */
const EVENTS = 6000;
const LINE = "y".repeat(1000);

const feedOf = (product: string, jobId: string) => env.JOB_FEED.getByName(`${product}:${jobId}`);

/** A submitted job whose feed holds its `job.submitted` event and then `EVENTS` log events. */
async function longFeed(product: string): Promise<{ jobId: string; total: number }> {
  const job = await submit(product, { title: "chatty" });
  const feed = feedOf(product, job.id);
  // A read opens the feed, which ships the job's held events first (core/feed-hold): job.submitted is seq 1.
  const read = await api<{ lastSeq: number }>("GET", `${P(product)}/jobs/${job.id}/events`, { token: ADMIN });
  expect(read.body.lastSeq).toBe(1);
  for (let i = 0; i < EVENTS; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, k) => ({ type: "log", at: i + k, data: { n: i + k, text: LINE } }));
    await feed.append(product, job.id, batch);
  }
  return { jobId: job.id, total: EVENTS + 1 };
}

/** Waits until `socket` has received a frame of one of `types`, and takes every frame up to it. */
async function framesUntil(socket: TestSocket, types: string[]): Promise<Array<Record<string, unknown>>> {
  for (let deadline = Date.now() + 10_000; ; ) {
    const i = socket.frames.findIndex((f) => types.includes(f.type));
    if (i >= 0) return socket.frames.splice(0, i + 1);
    if (socket.closed || Date.now() > deadline)
      throw new Error(`no ${types.join("/")} frame (closed: ${socket.closed?.code})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("paged replay", () => {
  it("WebSocket: a long log is replayed one page per `more`, never more than a page in flight, then live with no gap", async () => {
    const product = "bounds-ws";
    const { jobId, total } = await longFeed(product);
    const w = await openSocket(`${P(product)}/jobs/${jobId}/events/ws?after=0`, { authorization: `Bearer ${ADMIN}` });
    const seqs: number[] = [];
    const batches: number[] = [];
    let appendedLive = false;
    for (;;) {
      const frames = await framesUntil(w, ["page", "ready"]);
      const events = frames.filter((f) => f.type === "event").map((f) => (f.event as JobEvent).seq);
      batches.push(events.length);
      seqs.push(...events);
      const end = frames.at(-1)!;
      if (end.type === "ready") break;
      // Nothing more is sent until asked: the server's view of this socket stops at the page it sent.
      for (let i = 0; i < 5; i++) {
        const { sockets } = await feedOf(product, jobId).watchers();
        expect(sockets).toEqual([{ through: end.through, live: false }]);
      }
      expect(w.frames).toEqual([]);
      if (!appendedLive) {
        // Appended mid-replay: it must come exactly once, in order, from the log.
        await feedOf(product, jobId).append(product, jobId, [{ type: "log", at: 0, data: { text: "mid-replay" } }]);
        appendedLive = true;
      }
      w.send(`more ${end.token}`);
    }
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(total / PAGE_EVENTS));
    expect(Math.max(...batches)).toBeLessThanOrEqual(PAGE_EVENTS);
    expect(seqs).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
    await feedOf(product, jobId).append(product, jobId, [{ type: "log", at: 0, data: { text: "live" } }]);
    const live = await w.next<{ event: JobEvent }>("event");
    expect(live.event.seq).toBe(total + 2);
    w.close();
  });

  it("WebSocket: a watcher that sends anything but ping or more is closed with 1003", async () => {
    const product = "bounds-ws-bad";
    const job = await submit(product, { title: "x" });
    const w = await openSocket(`${P(product)}/jobs/${job.id}/events/ws`, { authorization: `Bearer ${ADMIN}` });
    await w.next("ready");
    w.send('{"type":"subscribe"}');
    expect((await w.waitClosed())?.code).toBe(1003);
  });

  it("SSE: the replay waits for the reader (backpressure), then delivers every event once and goes live", async () => {
    const product = "bounds-sse";
    const { jobId, total } = await longFeed(product);
    const res = await (exports as unknown as { default: Fetcher }).default.fetch(
      `http://gf.test${P(product)}/jobs/${jobId}/events/stream`,
      { headers: { authorization: `Bearer ${ADMIN}` } },
    );
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    // The reader has taken one chunk: the replay must be stalled a bounded distance ahead of it.
    for (let i = 0; i < 20; i++) {
      const { streams } = await feedOf(product, jobId).watchers();
      expect(streams).toHaveLength(1);
      expect(streams[0]!.live).toBe(false);
      expect(streams[0]!.through).toBeLessThanOrEqual(4 * PAGE_EVENTS);
    }
    // Collect ids frame by frame (a 6 MB text searched on every read would make the test itself quadratic).
    const decoder = new TextDecoder();
    const ids: number[] = [];
    const readUntil = async (seq: number) => {
      while (ids.at(-1) !== seq) {
        const frames = text.split("\n\n");
        text = frames.pop()!;
        for (const f of frames) {
          const id = /^id: (\d+)$/m.exec(f)?.[1];
          if (id) ids.push(Number(id));
        }
        if (ids.at(-1) !== seq) text += decoder.decode((await reader.read()).value, { stream: true });
      }
    };
    await readUntil(total);
    await feedOf(product, jobId).append(product, jobId, [{ type: "log", at: 0, data: { text: "live" } }]);
    await readUntil(total + 1);
    await reader.cancel();
    expect(ids).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
  });
});

describe("slow readers", () => {
  it("WebSocket: `more` sent ahead, without the page it answers, gets nothing: one page per page frame received", async () => {
    const product = "bounds-ws-ahead";
    const { jobId } = await longFeed(product);
    const w = await openSocket(`${P(product)}/jobs/${jobId}/events/ws?after=0`, { authorization: `Bearer ${ADMIN}` });
    const first = (await framesUntil(w, ["page"])).at(-1)!;
    // A client that does not read asks ahead: with a bare `more` it was sent a page per ask, the whole log at once.
    // The first page's token many times, and tokens it never got, ask for one page only.
    for (let i = 0; i < 20; i++) w.send(`more ${first.token}`);
    for (let i = 0; i < 20; i++) w.send(`more ${i.toString(16).padStart(16, "0")}`);
    const second = (await framesUntil(w, ["page"])).at(-1)!;
    w.send(`more ${second.token}`);
    // The WebSocket delivers in order: this third page comes after every ask above was handled.
    const third = await framesUntil(w, ["page", "ready"]);
    expect(third.at(-1)!.type).toBe("page");
    expect(third.filter((f) => f.type === "event").map((f) => (f.event as JobEvent).seq)[0]).toBe(
      (second.through as number) + 1,
    );
    const { sockets } = await feedOf(product, jobId).watchers();
    expect(sockets).toEqual([{ through: third.at(-1)!.through, live: false }]);
    expect(w.frames).toEqual([]);
    w.close();
  });

  it("SSE: a live reader that stops reading is cut off past its backlog limit (it resumes with Last-Event-ID)", async () => {
    const product = "bounds-sse-slow";
    const job = await submit(product, { title: "firehose" });
    const res = await (exports as unknown as { default: Fetcher }).default.fetch(
      `http://gf.test${P(product)}/jobs/${job.id}/events/stream`,
      { headers: { authorization: `Bearer ${ADMIN}` } },
    );
    const feed = feedOf(product, job.id);
    for (let deadline = Date.now() + 5000; !(await feed.watchers()).streams[0]?.live; ) {
      if (Date.now() > deadline) throw new Error("stream never went live");
      await new Promise((r) => setTimeout(r, 10));
    }
    // 16 MB of live events to a reader that reads nothing: before the cap they would all queue in the feed.
    for (let i = 0; i < 16 && (await feed.watchers()).streams.length > 0; i++) {
      const batch = Array.from({ length: 1000 }, (_, k) => ({ type: "log", at: k, data: { text: LINE } }));
      await feed.append(product, job.id, batch);
    }
    expect((await feed.watchers()).streams).toEqual([]);
    const reader = res.body!.getReader();
    let tail = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      tail = (tail + new TextDecoder().decode(value)).slice(-200);
    }
    expect(tail).toContain("too far behind: reconnect with Last-Event-ID");
  });
});

describe("watcher cap", () => {
  it(`watcher number ${MAX_WATCHERS + 1} of a job is refused with 429 limit_exceeded, WebSocket and SSE alike; a freed slot is reusable`, async () => {
    const product = "bounds-cap";
    const job = await submit(product, { title: "popular" });
    const path = `${P(product)}/jobs/${job.id}/events`;
    const sockets: TestSocket[] = [];
    for (let i = 0; i < MAX_WATCHERS; i++)
      sockets.push(await openSocket(`${path}/ws`, { authorization: `Bearer ${ADMIN}` }));
    const ws = await api<{ code: string; detail: string; retryAfterSeconds: number }>("GET", `${path}/ws`, {
      token: ADMIN,
      headers: { upgrade: "websocket" },
    });
    expect(ws.status).toBe(429);
    expect(ws.headers.get("content-type")).toContain("application/problem+json");
    expect(ws.body.code).toBe("limit_exceeded");
    expect(ws.body.detail).toContain(String(MAX_WATCHERS));
    // A refusal a client should try again later, and says when: a reconnect storm fills the slots only for a while.
    expect(ws.headers.get("retry-after")).toBe(String(WATCHER_CAP_RETRY_AFTER_S));
    expect(ws.body.retryAfterSeconds).toBe(WATCHER_CAP_RETRY_AFTER_S);
    const sse = await api<{ code: string; retryAfterSeconds: number }>("GET", `${path}/stream`, { token: ADMIN });
    expect([sse.status, sse.body.code]).toEqual([429, "limit_exceeded"]);
    expect([sse.headers.get("retry-after"), sse.body.retryAfterSeconds]).toEqual([
      String(WATCHER_CAP_RETRY_AFTER_S),
      WATCHER_CAP_RETRY_AFTER_S,
    ]);
    sockets.pop()!.close();
    for (
      let deadline = Date.now() + 5000;
      (await feedOf(product, job.id).watchers()).sockets.length >= MAX_WATCHERS;
    ) {
      if (Date.now() > deadline) throw new Error("closed socket still counted");
      await new Promise((r) => setTimeout(r, 10));
    }
    const again = await openSocket(`${path}/ws`, { authorization: `Bearer ${ADMIN}` });
    await again.next("ready");
    for (const s of [...sockets, again]) s.close();
  });
});
