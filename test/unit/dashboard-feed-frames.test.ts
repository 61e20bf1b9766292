// The dashboard's job feed (dashboard/feed.js) checks each WebSocket frame against the shape the feed and the job page
// read of it (FRAMES, answer-shape.js `fault`) before anyone uses it: an event whose `type` is not text threw in
// `onmessage` (the job page's handler called `e.type.startsWith`). Now a frame that is not as read — an event's type,
// data, seq or instant, a page's token — is skipped and said once (`onNotice`), the events around it still reach the
// page, no purged gap is drawn for it — each skipped event is told by seq (`onSkipped`: the job page reads what it may
// have changed, as after a gap) — and a frame kind the page does not read is ignored. A fake WebSocket and ticket
// endpoint stand in for the coordinator.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { FEED_GAP, JobFeedClient } from "../../dashboard/feed.js";

/** A WebSocket the test drives: it opens and sends frames when told, and records what the client sends. */
class FakeSocket {
  static made: FakeSocket[] = [];
  sent: string[] = [];
  onopen?: () => void;
  onmessage?: (m: { data: string }) => void;
  onclose?: (e: { code: number; reason: string }) => void;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(x: string) {
    this.sent.push(x);
  }
  close() {}
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
}

const host = globalThis as unknown as Record<string, unknown>;
const saved = { WebSocket: host.WebSocket, fetch: host.fetch, location: host.location };

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.made = [];
  Object.assign(globalThis, {
    WebSocket: FakeSocket,
    location: { origin: "http://dash.test" },
    fetch: async () => new Response(JSON.stringify({ ticket: "t" }), { status: 201 }),
  });
});
afterEach(() => {
  vi.useRealTimers();
  Object.assign(globalThis, saved);
});

type Got = { seq: number; type: string; data: Record<string, unknown> };

describe("dashboard feed frames", () => {
  it("skips a frame it cannot read, says so once, and keeps the feed going", async () => {
    const got: string[] = [];
    const notices: string[] = [];
    const states: string[] = [];
    const skipped: number[] = [];
    const client = new JobFeedClient(
      { token: "gf_p_x", product: "p" },
      "job_1",
      {
        // What the job page does with each event (job-detail.js): a type that is not text threw here.
        onEvent: (e: Got) => got.push(e.type === FEED_GAP ? "gap" : `${e.seq} ${e.type.startsWith("artifact.")}`),
        onState: (s: string) => states.push(s),
        onNotice: (t: string) => notices.push(t),
        onSkipped: (seq: number) => skipped.push(seq),
      },
      { random: () => 0.999_999 },
    );
    client.start();
    for (let i = 0; i < 1000 && FakeSocket.made.length < 1; i++) await vi.advanceTimersByTimeAsync(50);
    const ws = FakeSocket.made[0]!;
    ws.onopen?.();
    const event = (seq: unknown, more: Record<string, unknown> = {}) =>
      ws.frame({ type: "event", event: { seq, type: "progress", at: 1000, data: {}, ...more } });
    event(1);
    event(2, { type: 5 });
    event(3, { data: null });
    event(4, { at: 1e20 });
    event(2.5);
    ws.frame({ type: "page", through: 4, lastSeq: 9 }); // no token: "more undefined" would ask for nothing
    ws.frame({ type: "something.new", x: 1 });
    event(5);
    ws.frame({ type: "ready" });
    expect(got).toEqual(["1 false", "5 false"]); // no gap for the skipped 2–4: they were sent, not purged
    expect(notices).toHaveLength(1);
    expect(skipped).toEqual([2, 3, 4]); // each, said once or not: what they changed is unknown (2.5 is no seq)
    expect(notices[0]).toMatch(/^The job feed sent an event frame \(seq 2\) this page cannot read — its `event\.type`/);
    expect(ws.sent.filter((x) => x.startsWith("more"))).toEqual([]);
    expect(states.at(-1)).toBe("live");
    expect(client.lastSeq).toBe(5);
    client.stop();
  });
});
