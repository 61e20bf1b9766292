// The dashboard's job feed (dashboard/feed.js) marks where a job's seqs jump, by cli/job-feed's rule: a feed is
// gapless, so seqs it skips are events retention purged. The timeline showed a log that silently started in the
// middle — a replay beginning above 1, an event after a jump, or a purged log's empty replay (`ready` past the last
// event received) — now the client hands it a gap (FEED_GAP, seqs from–to) in seq order, resumes after it without
// reporting it again, and the timeline reads it as "events 1–40 are gone: retention purged them" (`gapNotice`).
// A fake WebSocket and ticket endpoint stand in for the coordinator.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { FEED_GAP, JobFeedClient } from "../../dashboard/feed.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { gapNotice } from "../../dashboard/timeline-notices.js";

/** A WebSocket the test drives: it opens, sends frames and closes when told. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen?: () => void;
  onmessage?: (m: { data: string }) => void;
  onclose?: (e: { code: number; reason: string }) => void;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send() {}
  close() {}
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  event(seq: number) {
    this.frame({ type: "event", event: { seq, type: "progress", at: seq, data: {} } });
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

/** A started feed client; `seen` lists what it handed the page, a gap as "gap from–to". */
function feed() {
  const got: Got[] = [];
  const client = new JobFeedClient(
    { token: "gf_p_x", product: "p" },
    "job_1",
    { onEvent: (e: Got) => got.push(e), onState: () => {} },
    { random: () => 0.999_999 },
  );
  client.start();
  const seen = () => got.map((e) => (e.type === FEED_GAP ? `gap ${e.data.from}–${e.data.to}` : String(e.seq)));
  return { client, got, seen };
}

/** Lets the ticket request settle and the reconnect wait pass until socket number `n` (1-based) exists. */
async function socket(n: number): Promise<FakeSocket> {
  for (let i = 0; i < 1000 && FakeSocket.made.length < n; i++) await vi.advanceTimersByTimeAsync(50);
  const s = FakeSocket.made[n - 1];
  if (!s) throw new Error(`socket ${n} was never opened`);
  s.onopen?.();
  return s;
}

describe("dashboard feed gaps", () => {
  it("marks a replay that starts above 1: the events before it were purged", async () => {
    const { client, got, seen } = feed();
    const ws = await socket(1);
    ws.event(41);
    ws.event(42);
    ws.frame({ type: "ready", lastSeq: 42 });
    expect(seen()).toEqual(["gap 1–40", "41", "42"]);
    expect(got[0]).toMatchObject({ seq: 40, type: FEED_GAP, data: { from: 1, to: 40 } });
    client.stop();
  });

  it("marks a jump between two events, and none where seqs follow on", async () => {
    const { client, seen } = feed();
    const ws = await socket(1);
    for (const seq of [1, 2, 5, 6, 8]) ws.event(seq);
    ws.frame({ type: "ready", lastSeq: 8 });
    expect(seen()).toEqual(["1", "2", "gap 3–4", "5", "6", "gap 7–7", "8"]);
    client.stop();
  });

  it("marks a purged log's empty replay (`ready` past the last event), once, and resumes after it", async () => {
    const { client, seen } = feed();
    const first = await socket(1);
    first.event(1);
    first.event(2);
    first.frame({ type: "ready", lastSeq: 2 });
    first.onclose?.({ code: 4410, reason: "feed pruned by retention" });
    const second = await socket(2);
    expect(new URL(second.url).searchParams.get("after")).toBe("2");
    second.frame({ type: "ready", lastSeq: 9 }); // the purge kept only the seq it reached
    expect(seen()).toEqual(["1", "2", "gap 3–9"]);
    second.onclose?.({ code: 1006, reason: "" });
    const third = await socket(3);
    expect(new URL(third.url).searchParams.get("after")).toBe("9");
    third.frame({ type: "ready", lastSeq: 9 });
    third.event(10); // a requeue's events continue the seq
    expect(seen()).toEqual(["1", "2", "gap 3–9", "10"]);
    client.stop();
  });

  it("reads a gap as the events retention purged", () => {
    expect(gapNotice(1, 40)).toBe("events 1–40 are gone: retention purged them");
    expect(gapNotice(7, 7)).toBe("event 7 is gone: retention purged it");
    expect(gapNotice(1, 12_345)).toBe("events 1–12,345 are gone: retention purged them");
  });
});
