// A job feed of 50,000 events, appended the way the coordinator's outbox ships them (feed-append `appendFeeds`,
// 1,000 per batch, each with its outbox seq; a redelivered batch adds nothing): the WebSocket replays it from 0 and
// from a middle seq in bounded pages, gapless and in order; a watcher cut off mid-replay resumes from the last seq
// it saw and gets exactly the rest; events appended between pages reach the watcher once at the seam between replay
// and live; the REST read pages it at `limit`, from 0 or from the middle, and SSE resumes it by Last-Event-ID.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { PAGE_EVENTS } from "../../src/durable-objects/feed/event-log.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, P, submit } from "./client";
import { openSocket, type TestSocket } from "./sockets";

/** 50,000: the brief's scale, 100 replay pages; the whole file stays well under 30 s on the shared 2-core box. */
const EVENTS = 50_000;
const BATCH = 1000;
const product = "feed-scale";
const auth = { authorization: `Bearer ${ADMIN}` };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
let jobId = "";
let total = 0;
let outboxSeq = 1_000_000;

/** Ships `n` log events to the job's feed through the outbox's own append path, BATCH at a time. */
async function ship(n: number): Promise<void> {
  for (let i = 0; i < n; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => ({
      sourceSeq: ++outboxSeq,
      type: "log",
      at: i + k,
      data: { n: i + k },
    }));
    const [r] = await appendFeeds(env, product, [{ jobId, events, oneByOne: false }]);
    expect(r).toEqual({ jobId, delivered: events.length });
  }
  total += n;
}

beforeAll(async () => {
  jobId = (await submit(product, { title: "chatty" })).id;
  // A read opens the feed, which ships the job's held events first: job.submitted is seq 1.
  expect(
    (await api<{ lastSeq: number }>("GET", `${P(product)}/jobs/${jobId}/events`, { token: ADMIN })).body.lastSeq,
  ).toBe(1);
  total = 1;
  await ship(EVENTS);
  // The outbox redelivers a batch it is unsure of: its outbox seqs are known to the feed, so nothing is added.
  const again = Array.from({ length: BATCH }, (_, k) => ({ sourceSeq: outboxSeq - k, type: "log", at: 0, data: {} }));
  await appendFeeds(env, product, [{ jobId, events: again, oneByOne: false }]);
});

/** Waits (bounded) until `w` has a `page` or `ready` frame, and takes every frame up to it. */
async function pageOf(w: TestSocket): Promise<Array<Record<string, unknown>>> {
  for (let deadline = Date.now() + 10_000; ; ) {
    const i = w.frames.findIndex((f) => f.type === "page" || f.type === "ready");
    if (i >= 0) return w.frames.splice(0, i + 1);
    if (w.closed || Date.now() > deadline) throw new Error(`no page/ready frame (closed: ${w.closed?.code})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Reads pages off `w` (sending `more` after each) until `ready` or `stopAfter` pages; returns seqs and page sizes. */
async function replay(w: TestSocket, stopAfter = Infinity, between?: () => Promise<void>) {
  const seqs: number[] = [];
  const pages: number[] = [];
  for (;;) {
    const frames = await pageOf(w);
    const events = frames.filter((f) => f.type === "event").map((f) => (f.event as JobEvent).seq);
    seqs.push(...events);
    pages.push(events.length);
    if (frames.at(-1)!.type === "ready") return { seqs, pages, ready: true };
    if (pages.length >= stopAfter) return { seqs, pages, ready: false };
    await between?.();
    w.send(`more ${frames.at(-1)!.token}`);
  }
}

describe(`a feed of ${EVENTS} events`, () => {
  it("replays from 0 over the WebSocket in pages of at most PAGE_EVENTS, gapless and in order", async () => {
    const w = await openSocket(`${P(product)}/jobs/${jobId}/events/ws?after=0`, auth);
    const r = await replay(w);
    expect(r.seqs).toEqual(range(1, total));
    expect(Math.max(...r.pages)).toBeLessThanOrEqual(PAGE_EVENTS);
    expect(r.pages.length).toBeGreaterThanOrEqual(total / PAGE_EVENTS);
    w.close();
  });

  it("replays from a middle seq, and a watcher cut off mid-replay resumes from its last seq with exactly the rest", async () => {
    const middle = total - 10 * PAGE_EVENTS - 123;
    const first = await openSocket(`${P(product)}/jobs/${jobId}/events/ws?after=${middle}`, auth);
    const cut = await replay(first, 3);
    expect(cut.ready).toBe(false);
    first.close(); // gone mid-replay, with pages it never asked for still on the log
    const last = cut.seqs.at(-1)!;
    const resumed = await openSocket(`${P(product)}/jobs/${jobId}/events/ws?after=${last}`, auth);
    const rest = await replay(resumed);
    expect([...cut.seqs, ...rest.seqs]).toEqual(range(middle + 1, total));
    resumed.close();
  });

  it("events appended between replay pages reach the watcher once, in order, across the seam into live", async () => {
    const from = total - 4 * PAGE_EVENTS;
    const w = await openSocket(`${P(product)}/jobs/${jobId}/events/ws?after=${from}`, auth);
    // Each page is followed by an append before the next `more`: the log grows under the replay.
    const r = await replay(w, Infinity, () => ship(300));
    expect(r.ready).toBe(true);
    // Now live: the next appends are pushed; the first of them must follow the last replayed seq directly.
    await ship(BATCH);
    const live: number[] = [];
    while (live.length < BATCH) live.push((await w.next<{ event: JobEvent }>("event")).event.seq);
    expect([...r.seqs, ...live]).toEqual(range(from + 1, total));
    w.close();
  });

  it("the REST read pages at `limit` from 0 and from the middle, gapless, never past the page's limit", async () => {
    for (const start of [0, Math.floor(total / 2) + 7]) {
      const seqs: number[] = [];
      for (let after = start; ; ) {
        const r = await api<{ events: JobEvent[]; lastSeq: number }>(
          "GET",
          `${P(product)}/jobs/${jobId}/events?after=${after}&limit=500`,
          { token: ADMIN },
        );
        expect(r.status).toBe(200);
        expect(r.body.lastSeq).toBe(total);
        expect(r.body.events.length).toBeLessThanOrEqual(500);
        if (r.body.events.length === 0) break;
        seqs.push(...r.body.events.map((e) => e.seq));
        after = seqs.at(-1)!;
      }
      expect(seqs).toEqual(range(start + 1, total));
    }
  });

  it("SSE resumes from a middle Last-Event-ID, and again from the last id it delivered before the cut", async () => {
    const from = total - 3 * PAGE_EVENTS;
    const ids: number[] = [];
    const read = async (after: number, upTo: number) => {
      const res = await (exports as unknown as { default: Fetcher }).default.fetch(
        `http://gf.test${P(product)}/jobs/${jobId}/events/stream`,
        { headers: { ...auth, "last-event-id": String(after) } },
      );
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      while (ids.at(-1) !== upTo) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended early");
        text += decoder.decode(value, { stream: true });
        const frames = text.split("\n\n");
        text = frames.pop()!;
        for (const f of frames) {
          const id = /^id: (\d+)$/m.exec(f)?.[1];
          if (id) ids.push(Number(id));
        }
      }
      await reader.cancel();
    };
    await read(from, from + PAGE_EVENTS + 17);
    // The cut may land mid-page: the resume point is the last id this reader actually got.
    await read(ids.at(-1)!, total);
    expect(ids).toEqual(range(from + 1, total));
  });
});
