// A job feed under hostile clients: a frame other than `ping` or `more <token>` — a bare `more`, garbage, binary, unknown JSON, 2 MiB of text —
// closes that socket alone with 1003 and changes nothing (the log, the other watchers); a cursor that is negative,
// fractional, exponent-written or too long (and a `limit` out of 1–500) is a 400 on every read (REST, WebSocket, SSE, Last-Event-ID), one past
// the feed's last seq a 416 `after_beyond_feed`; two tickets open two watchers that each get the whole feed.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, eventsOf, P, submit } from "./client";
import { openSocket } from "./sockets";

const worker = (exports as unknown as { default: Fetcher }).default;
const auth = { authorization: `Bearer ${ADMIN}` };

/** A job whose feed holds `n` events (job.submitted and n − 1 logs). */
async function feedOf(product: string, n: number) {
  const job = await submit(product, { title: "watched" });
  expect(await eventsOf(product, job.id, 1)).toHaveLength(1);
  const feed = env.JOB_FEED.getByName(feedName(product, job.id));
  const logs = Array.from({ length: n - 1 }, (_, i) => ({ type: "log", at: i, data: { n: i } }));
  if (logs.length > 0) await feed.append(product, job.id, logs);
  return { jobId: job.id, feed, path: `${P(product)}/jobs/${job.id}/events` };
}

describe("hostile frames on the feed WebSocket", () => {
  it("each closes its own socket with 1003 and a reason; the log and a bystander watcher are untouched", async () => {
    const { jobId, feed, path } = await feedOf("hostile-frames", 5);
    const bystander = await openSocket(`${path}/ws?after=0`, auth);
    await bystander.next("ready");
    bystander.frames.splice(0); // its replay
    const frames: Array<string | Uint8Array> = [
      "garbage{",
      '{"type":"subscribe"}',
      '{"type":"more"}',
      "MORE",
      "more", // a page is asked for with the token of the page frame it answers
      `more ${"g".repeat(16)}`,
      " more",
      "more ".repeat(420_000), // ~2 MiB of text: handed to the object whole, refused like the rest
      new Uint8Array([0x6d, 0x6f, 0x72, 0x65]), // "more", as binary
      "",
    ];
    for (const frame of frames) {
      const w = await openSocket(`${path}/ws?after=0`, auth);
      await w.next("ready");
      w.ws.send(frame);
      const closed = await w.waitClosed();
      expect(closed?.code, `after ${String(frame).slice(0, 20)}`).toBe(1003);
      expect(closed?.reason).toContain("ping");
    }
    const after: { lastSeq: number } = await feed.list(0, 500);
    expect(after.lastSeq).toBe(5);
    expect((await feed.watchers()).sockets).toEqual([{ through: 5, live: true }]);
    // The bystander is still live, and gets the next event once.
    await feed.append("hostile-frames", jobId, [{ type: "log", at: 9, data: { n: 9 } }]);
    expect((await bystander.next<{ event: JobEvent }>("event")).event.seq).toBe(6);
    bystander.close();
  });
});

describe("hostile cursors", () => {
  const bad = ["-1", "1.5", "1e3", "0x10", "abc", "%205", "99999999999999999999", ""];

  it("a malformed `after` (or Last-Event-ID) is a 400 problem on REST, WebSocket and SSE; nothing is opened", async () => {
    const { feed, path } = await feedOf("hostile-cursors", 3);
    for (const after of bad) {
      for (const [kind, headers] of [
        ["", {}],
        ["/ws", { upgrade: "websocket" }],
        ["/stream", {}],
      ] as const) {
        const res = await worker.fetch(`http://gf.test${path}${kind}?after=${after}`, {
          headers: { ...auth, ...headers },
        });
        expect([kind, after, res.status]).toEqual([kind, after, 400]);
        expect(res.headers.get("content-type")).toContain("application/problem+json");
        expect(((await res.json()) as { code: string }).code).toBe("validation_failed");
      }
      if (after === "") continue; // an empty Last-Event-ID is no header at all to some clients
      const sse = await worker.fetch(`http://gf.test${path}/stream`, { headers: { ...auth, "last-event-id": after } });
      expect([after, sse.status]).toEqual([after, 400]);
      await sse.body?.cancel();
    }
    for (const limit of ["0", "501", "-1", "1.5", "1e2"]) {
      const r = await api<{ code: string }>("GET", `${path}?after=0&limit=${limit}`, { token: ADMIN });
      expect([limit, r.status, r.body.code]).toEqual([limit, 400, "validation_failed"]);
    }
    expect(await feed.watchers()).toEqual({ sockets: [], streams: [] });
  });

  it("`after` past the feed's last seq is a 416 after_beyond_feed on every read, the REST page included", async () => {
    const { feed, path } = await feedOf("hostile-beyond", 3);
    for (const after of ["4", "9007199254740991"]) {
      for (const [kind, headers] of [
        ["", {}],
        ["/ws", { upgrade: "websocket" }],
        ["/stream", {}],
      ] as const) {
        const res = await worker.fetch(`http://gf.test${path}${kind}?after=${after}`, {
          headers: { ...auth, ...headers },
        });
        expect([kind, after, res.status]).toEqual([kind, after, 416]);
        expect(await res.json()).toMatchObject({ code: "after_beyond_feed", after: Number(after), lastSeq: 3 });
      }
    }
    // The last seq itself is where a reader that saw everything asks again: an empty page, not a refusal.
    const at = await api<{ events: JobEvent[]; lastSeq: number }>("GET", `${path}?after=3`, { token: ADMIN });
    expect([at.status, at.body]).toEqual([200, { events: [], lastSeq: 3 }]);
    expect(await feed.watchers()).toEqual({ sockets: [], streams: [] });
  });
});

describe("two readers at once", () => {
  it("two tickets open two watchers, each replayed the whole feed and then live; one ticket opens one", async () => {
    const { jobId, feed, path } = await feedOf("hostile-two", 4);
    const ticket = async () => (await api<{ ticket: string }>("POST", `${path}/ticket`, { token: ADMIN })).body.ticket;
    const [t1, t2] = [await ticket(), await ticket()];
    const [a, b] = await Promise.all([
      openSocket(`${path}/ws?after=0&ticket=${t1}`),
      openSocket(`${path}/ws?after=0&ticket=${t2}`),
    ]);
    for (const w of [a, b]) await w.next("ready");
    await feed.append("hostile-two", jobId, [{ type: "log", at: 9, data: { n: 9 } }]);
    for (const w of [a, b]) {
      const seqs: number[] = [];
      while (seqs.length < 5) seqs.push((await w.next<{ event: JobEvent }>("event")).event.seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5]);
    }
    // The same ticket twice at once: exactly one gets in.
    const t3 = await ticket();
    const both = await Promise.all(
      [0, 1].map(() =>
        worker.fetch(`http://gf.test${path}/ws?after=0&ticket=${t3}`, { headers: { upgrade: "websocket" } }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([101, 401]);
    for (const r of both) {
      r.webSocket?.accept();
      r.webSocket?.close(1000, "done");
    }
    a.close();
    b.close();
  });
});
