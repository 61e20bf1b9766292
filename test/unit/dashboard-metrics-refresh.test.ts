// The dashboard's metrics tiles (dashboard/metrics.js `mountMetricsTiles`) follow the queue: a queue move that comes
// while a read is still out is not dropped — that read may have been answered before the move, so one more read
// follows it (dropped, the tiles showed the old depth until the next move or the 30 s idle read); with no move in
// the meantime, nothing more is read; a move after the tiles were stopped reads nothing.
import { describe, expect, it, vi } from "vitest";

/** Each `api` call: its path, and the resolver that answers it. */
const calls: Array<{ path: string; answer: (m: unknown) => void }> = [];

vi.mock("../../dashboard/api.js", () => ({
  api: (_session: unknown, path: string) =>
    new Promise((resolve) => {
      calls.push({ path, answer: resolve });
    }),
  describeError: (e: unknown) => String(e),
  transient: () => false,
}));
vi.mock("../../dashboard/dom.js", () => ({
  h: (tag: string, attrs: unknown, ...children: unknown[]) => ({ tag, attrs, children }),
  replace: () => undefined,
  clock: (at: number) => String(at),
}));

// A failed read's stale line is written once the page has drawn (announce.js afterDrawn): no frame is drawn here.
vi.stubGlobal("requestAnimationFrame", () => 0);

// @ts-expect-error plain browser JavaScript, typed by JSDoc only
const { mountMetricsTiles } = await import("../../dashboard/metrics.js");

const METRICS = {
  queue: { depthByStage: { queued: 1, blocked: 0 } },
  seats: { busy: 0, total: 1, utilisation: 0 },
  dispatchLatencyMs: { buckets: [{ le: "+Inf", count: 0 }], count: 0, sumMs: 0 },
};

function mount() {
  calls.length = 0;
  let listener: (c: { versionChanged: boolean }) => void = () => undefined;
  const el = {
    hidden: true,
    setAttribute: () => undefined,
    removeAttribute: () => undefined,
    querySelector: () => null,
    append: () => undefined,
  };
  const live = {
    session: { token: "t", product: "p" },
    subscribe: (fn: typeof listener) => {
      listener = fn;
      return () => undefined;
    },
  };
  const stop = mountMetricsTiles(el, live) as () => void;
  return { move: () => listener({ versionChanged: true }), idle: () => listener({ versionChanged: false }), stop };
}

describe("metrics tiles", () => {
  it("read again after a read that was out while the queue moved", async () => {
    const tiles = mount();
    expect(calls).toHaveLength(1); // the first read, still out
    tiles.move();
    tiles.move(); // two moves during one read: one more read covers both
    calls[0]?.answer(METRICS);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]?.path).toBe("/metrics?format=json");
    calls[1]?.answer(METRICS);
    tiles.idle(); // no move since: within the idle period nothing is read
    await Promise.resolve();
    expect(calls).toHaveLength(2);
    tiles.stop();
  });

  it("read nothing more for a read that was out without a move, or once stopped", async () => {
    const tiles = mount();
    tiles.idle();
    calls[0]?.answer(METRICS);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await Promise.resolve();
    expect(calls).toHaveLength(1);
    tiles.move();
    expect(calls).toHaveLength(2);
    tiles.move(); // while the second read is out …
    tiles.stop(); // … the tiles are stopped: its answer starts no third read
    calls[1]?.answer(METRICS);
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toHaveLength(2);
  });
});
