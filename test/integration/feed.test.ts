// Guarantee 5 — a job's feed is ordered, gapless and resumable: replay from any seq, then live.
import { env, evictDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, enroll, eventsOf, P, submit } from "./client";
import { type AssignFrame, connectFactory, openSocket } from "./sockets";

/** A job with a factory streaming logs to it over the push socket. */
async function jobWithLogs(product: string, lines: number) {
  const f = await enroll(product, "f");
  const { socket } = await connectFactory(product, f.token);
  const job = await submit(product, { title: "logs" });
  const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
  const lease = { jobId: job.id, leaseEpoch: a.leaseEpoch };
  for (let i = 0; i < lines; i++) {
    socket.send({
      type: "progress",
      id: `p${i}`,
      ...lease,
      logs: [{ stream: "stdout", text: `line ${i}`, at: Date.now() }],
    });
    await socket.next("ack");
  }
  return { job, socket, lease };
}

function assertGapless(events: JobEvent[], from = 1) {
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => from + i));
}

describe("job feed", () => {
  it("records lifecycle and log events with a gapless seq", async () => {
    const product = "feed-basic";
    const { job, socket } = await jobWithLogs(product, 3);
    const events = await eventsOf(product, job.id, 6);
    assertGapless(events);
    expect(events.map((e) => e.type)).toEqual(["job.submitted", "job.stage", "lease.granted", "log", "log", "log"]);
    expect(events[3]?.data).toMatchObject({ lines: [{ text: "line 0" }] });
    socket.close();
  });

  it("replays from any seq over the WebSocket, then streams live with no gap and no duplicate", async () => {
    const product = "feed-ws";
    const { job, socket, lease } = await jobWithLogs(product, 4);
    const all = await eventsOf(product, job.id, 7);
    for (const after of [0, 2, 5, all.length]) {
      const w = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=${after}`, {
        authorization: `Bearer ${ADMIN}`,
      });
      const ready = await w.next<{ lastSeq: number }>("ready");
      const replayed = w.frames
        .filter((f) => f.type === "event")
        .map((f) => (f as unknown as { event: JobEvent }).event);
      w.frames.length = 0;
      expect(replayed.map((e) => e.seq)).toEqual(all.filter((e) => e.seq > after).map((e) => e.seq));
      expect(ready.lastSeq).toBe(all.length);
      // Live: the next event arrives once, with the next seq.
      socket.send({
        type: "progress",
        id: `live${after}`,
        ...lease,
        logs: [{ stream: "stderr", text: `live ${after}`, at: 1 }],
      });
      const live = (await w.next<{ event: JobEvent }>("event")).event;
      expect(live.data).toMatchObject({ lines: [{ text: `live ${after}` }] });
      all.push(live);
      assertGapless(all);
      w.close();
    }
    socket.close();
  });

  it("resumes correctly across an eviction of the job's feed object", async () => {
    const product = "feed-evict";
    const { job, socket, lease } = await jobWithLogs(product, 2);
    const before = await eventsOf(product, job.id, 5);
    await evictDurableObject(env.JOB_FEED.getByName(`${product}:${job.id}`));
    socket.send({ type: "progress", id: "after-evict", ...lease, logs: [{ stream: "stdout", text: "after", at: 1 }] });
    await socket.next("ack");
    const after = await eventsOf(product, job.id, before.length + 1);
    assertGapless(after);
    const w = await openSocket(`${P(product)}/jobs/${job.id}/events/ws?after=${before.length}`, {
      authorization: `Bearer ${ADMIN}`,
    });
    await w.next("ready");
    const replayed = w.frames.filter((f) => f.type === "event").map((f) => (f as unknown as { event: JobEvent }).event);
    expect(replayed.map((e) => e.seq)).toEqual([before.length + 1]);
    w.close();
    socket.close();
  });

  it("serves SSE that resumes from Last-Event-ID", async () => {
    const product = "feed-sse";
    const { job, socket } = await jobWithLogs(product, 3);
    await eventsOf(product, job.id, 6);
    const res = await (exports as unknown as { default: Fetcher }).default.fetch(
      `http://gf.test${P(product)}/jobs/${job.id}/events/stream`,
      { headers: { authorization: `Bearer ${ADMIN}`, "last-event-id": "4" } },
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("id: 6")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([5, 6]);
    // A Last-Event-ID that is not a seq in digits is refused, not read as another position ("1e3" was 1000, "-1" 0;
    // surrounding spaces are not in it: header values are trimmed).
    for (const bad of ["1e3", "-1", "abc", "0x10", "5.0"]) {
      const r = await api<{ code: string }>("GET", `${P(product)}/jobs/${job.id}/events/stream`, {
        token: ADMIN,
        headers: { "last-event-id": bad },
      });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.code).toBe("validation_failed");
    }
    // Without a token the answer is about the token, not the header.
    const stranger = await api<{ code: string }>("GET", `${P(product)}/jobs/${job.id}/events/stream`, {
      headers: { "last-event-id": "1e3" },
    });
    expect(stranger.status).toBe(401);
    socket.close();
  });

  it("lets a browser in with a short-lived ticket instead of a header, for that job only", async () => {
    const product = "feed-ticket";
    const { job, socket } = await jobWithLogs(product, 1);
    const other = await submit(product, { title: "other" });
    const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${job.id}/events/ticket`, { token: ADMIN });
    expect(t.status).toBe(201);
    const w = await openSocket(
      `${P(product)}/jobs/${job.id}/events/ws?after=0&ticket=${encodeURIComponent(t.body.ticket)}`,
    );
    await w.next("ready");
    w.close();
    const wrongJob = await api(
      "GET",
      `${P(product)}/jobs/${other.id}/events/ws?ticket=${encodeURIComponent(t.body.ticket)}`,
      {
        headers: { upgrade: "websocket" },
      },
    );
    expect(wrongJob.status).toBe(401);
    const none = await api("GET", `${P(product)}/jobs/${job.id}/events/stream`);
    expect(none.status).toBe(401);
    socket.close();
  });
});

describe("a WebSocket endpoint asked without an upgrade", () => {
  it("answers 426 upgrade_required (the feed's and the factory link's), not a 400 that blames the request's fields", async () => {
    const product = "feed-no-upgrade";
    const job = await submit(product, { title: "j" });
    const f = await enroll(product, "f");
    const feed = await api<{ code: string; title: string }>("GET", `${P(product)}/jobs/${job.id}/events/ws`, {
      token: ADMIN,
    });
    const link = await api<{ code: string }>("GET", `${P(product)}/factories/connect`, { token: f.token });
    for (const r of [feed, link]) {
      expect(r.status).toBe(426);
      expect(r.body.code).toBe("upgrade_required");
    }
    expect(feed.body.title).toBe("Upgrade required");
  });
});
