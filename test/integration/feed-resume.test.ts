// Resuming a live feed (guarantee 5) gets every event once, in order, or a clear refusal. A watcher resumes across a
// restart of the coordinator that ships the events, and an `after` beyond the feed's last seq is refused (416)
// instead of silently skipping events; one resumed from before a retention purge goes live at once (no endless empty pages).

import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, enroll, eventsOf, P, submit, until } from "./client";
import { outboxMark } from "./outbox-mark.ts";
import { type AssignFrame, connectFactory, openSocket, type TestSocket } from "./sockets";

// Guarantee 5 across a restart of the product's coordinator (`state.abort()`), which holds the outbox that ships a
// job's events to its feed: a watcher attached before the restart receives every event written after it once, in
// order, and a watcher that resumes from the last seq it saw gets exactly the rest. (Added by a concurrency reviewer:
// feed tests covered the feed object's eviction, not the coordinator's.)

const eventsOn = (w: TestSocket) =>
  w.frames.filter((f) => f.type === "event").map((f) => (f as unknown as { event: JobEvent }).event);

describe("a job feed across a coordinator restart", () => {
  it("keeps a live watcher gapless, and a resumed one gets exactly the rest", async () => {
    const product = "feed-coordinator-restart";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "logs" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    const watcher = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=0`, {
      authorization: `Bearer ${ADMIN}`,
    });
    await watcher.next("ready");
    for (let i = 0; i < 3; i++) {
      const logs = [{ stream: "stdout" as const, text: `line ${i}`, at: Date.now() }];
      socket.send({ type: "progress", id: `p${i}`, jobId: job.id, leaseEpoch: a.leaseEpoch, logs });
      await socket.next("ack");
    }
    const before = await until(
      async () => eventsOn(watcher),
      (e) => e.filter((x) => x.type === "log").length === 3,
    );

    // The coordinator restarts: its in-memory state (sockets, the feeds it counts as read) is gone, its outbox stays.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => state.abort("restart")).catch(() => {});
    await socket.waitClosed();
    const cancel = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    const all = await until(
      async () => eventsOn(watcher),
      (e) => e.some((x) => x.type === "job.action"),
    );
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.slice(before.length).map((e) => e.type)).toEqual(["lease.lost", "job.stage", "job.action"]);

    const resumed = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=${before.length}`, {
      authorization: `Bearer ${ADMIN}`,
    });
    await resumed.next("ready");
    expect(eventsOn(resumed).map((e) => e.seq)).toEqual(all.slice(before.length).map((e) => e.seq));
    resumed.close();
    watcher.close();
  });
});

// A live feed (WebSocket or SSE) resumed `after` a seq past the feed's last went live at once and then sent the
// watcher events with seqs at or below `after`: the CLI dropped them as already seen, an SSE client could not even
// notice. Seqs come from the feed only and stay monotonic across a retention purge, so such an `after` is a client
// error: 416 `after_beyond_feed` (problem+json, with the feed's `lastSeq`) before any upgrade or stream, nothing
// changed. (Found by a concurrency reviewer.) Resuming from the last seq itself, even after a purge, still works.

const worker = (exports as unknown as { default: Fetcher }).default;
const auth = { authorization: `Bearer ${ADMIN}` };

const openWs = (product: string, jobId: string, after: number) =>
  worker.fetch(`http://gf.test${P(product)}/jobs/${jobId}/events/ws?after=${after}`, {
    headers: { upgrade: "websocket", ...auth },
  });

const openSse = (product: string, jobId: string, headers: Record<string, string>, query = "") =>
  worker.fetch(`http://gf.test${P(product)}/jobs/${jobId}/events/stream${query}`, { headers: { ...auth, ...headers } });

async function expectRefused(res: Response, after: number, lastSeq: number): Promise<void> {
  expect(res.status).toBe(416);
  expect(res.webSocket).toBeNull();
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(await res.json()).toMatchObject({ status: 416, code: "after_beyond_feed", after, lastSeq });
}

describe("a live feed resumed after a seq the feed never reached", () => {
  it("is refused with 416 after_beyond_feed over WebSocket and SSE (after or Last-Event-ID); no watcher is added", async () => {
    const product = "feed-resume-beyond";
    const job = await submit(product, { title: "one event" });
    expect(await eventsOf(product, job.id, 1)).toHaveLength(1);

    await expectRefused(await openWs(product, job.id, 2), 2, 1);
    await expectRefused(await openSse(product, job.id, {}, "?after=7"), 7, 1);
    await expectRefused(await openSse(product, job.id, { "last-event-id": "3" }), 3, 1);
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    expect(await feed.watchers()).toEqual({ sockets: [], streams: [] });

    // The last seq itself is where a watcher that saw everything resumes: accepted, and live at once.
    const ws = await openWs(product, job.id, 1);
    expect(ws.status).toBe(101);
    ws.webSocket?.accept();
    ws.webSocket?.close(1000, "done");
    const sse = await openSse(product, job.id, { "last-event-id": "1" });
    expect(sse.status).toBe(200);
    await sse.body?.cancel();
  });

  it("a purged feed keeps its last seq: resuming from it is accepted, one past it refused", async () => {
    const product = "feed-resume-purged";
    const job = await submit(product, { title: "purged" });
    const events = await eventsOf(product, job.id, 1);
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    await feed.purge(await outboxMark(product)); // as retention decides it: what comes later is kept
    expect(await feed.list(0, 10)).toEqual({ events: [], lastSeq: events.length });

    await expectRefused(await openWs(product, job.id, events.length + 1), events.length + 1, events.length);
    const ws = await openWs(product, job.id, events.length);
    expect(ws.status).toBe(101);
    ws.webSocket?.accept();
    ws.webSocket?.close(1000, "done");
  });

  // Below a purged feed's last seq there is no event, and never will be: the replay's empty page was not its end
  // (only reaching lastSeq was), so a WebSocket watcher was sent `page` frames that moved nothing for every `more`,
  // and an SSE replay spun without yielding (its writer was ready at once) — it wedged the feed object, and this
  // test's whole workerd with it. Resuming from 0, as a dashboard or a browser's first EventSource does, was enough.
  it("resumed from before a purge, a watcher goes live at once and gets the revived job's events", async () => {
    const product = "feed-resume-before-purge";
    const job = await submit(product, { title: "purged" });
    const before = await eventsOf(product, job.id, 1);
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    await feed.purge(await outboxMark(product)); // as retention decides it: what comes later is kept

    const ws = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=0`, auth);
    expect(await ws.next("ready")).toEqual({ type: "ready", lastSeq: before.length });
    expect(ws.frames).toEqual([]); // no `page` frame came first
    const sse = await openSse(product, job.id, {}, "?after=0");
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    await reader.read(); // the opening comment
    await until(
      () => feed.watchers(),
      (w) => w.streams.length === 1 && w.streams[0]!.live,
    ).then((w) => expect(w.streams).toEqual([{ through: 0, live: true }]));

    // A requeue's events continue the purged feed's seq and reach both watchers live.
    await feed.append(product, job.id, [{ type: "job.stage", at: Date.now(), data: { to: "queued" } }]);
    const revived = (await ws.next<{ event: JobEvent }>("event")).event;
    expect(revived.seq).toBe(before.length + 1);
    const text = new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`id: ${before.length + 1}\n`);
    await reader.cancel();
    ws.close();
  });
});
