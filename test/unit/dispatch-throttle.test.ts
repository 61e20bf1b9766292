// DispatchThrottle (factories/throttle) under failure, in Node with fake timers: a pass that throws — leading,
// trailing or after held frames — is logged and never thrown at its caller, and the throttle's window always closes
// with the macrotask, so the next request runs a leading pass; frames that throw still get their one pass, and their
// own error still reaches the turn.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DispatchThrottle } from "../../src/durable-objects/coordinator/factories/throttle.ts";

/** A throttle whose passes are counted (`calls`, failed or not); the calls numbered in `failing` (1-based) throw. */
function throttle(...failing: number[]) {
  const passes = { calls: 0, run: 0 };
  const t = new DispatchThrottle(
    () => {
      passes.calls++;
      if (failing.includes(passes.calls)) throw new Error(`pass ${passes.calls} failed`);
      passes.run++;
    },
    () => "p",
  );
  return { t, passes };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("DispatchThrottle failures", () => {
  it("a leading pass that throws is logged, not thrown, and its window still closes with the macrotask", () => {
    const { t, passes } = throttle(1);
    expect(() => t.request()).not.toThrow(); // it ran inside a committed unit: that unit is not failed by it
    expect(console.error).toHaveBeenCalledOnce();
    t.request(); // same macrotask: marks the trailing pass
    vi.runAllTimers();
    expect(passes).toEqual({ calls: 2, run: 1 }); // the trailing pass ran
    t.request(); // a new macrotask: leading again, at once
    expect(passes).toEqual({ calls: 3, run: 2 });
  });

  it("a trailing pass that throws is logged, and the next request runs a leading pass of its own", () => {
    const { t, passes } = throttle(2);
    t.request();
    t.request();
    expect(() => vi.runAllTimers()).not.toThrow();
    expect(passes.calls).toBe(2);
    expect(console.error).toHaveBeenCalledOnce();
    t.request(); // the window closed with the failed pass: runs at once
    expect(passes).toEqual({ calls: 3, run: 2 });
  });

  it("held frames that throw still get their one pass, and their error still reaches the turn", () => {
    const { t, passes } = throttle();
    expect(() =>
      t.holding(() => {
        t.request(); // a frame moved the queue
        t.request(); // and another: still one pass
        throw new Error("frame failed");
      }),
    ).toThrow("frame failed");
    expect(passes.run).toBe(1);
    t.request(); // not held any more: marks the trailing pass (this macrotask already passed)
    expect(passes.run).toBe(1);
    vi.runAllTimers();
    expect(passes.run).toBe(2);
  });

  it("held frames whose pass throws: the turn is not failed by it, and the next turn passes again", () => {
    const { t, passes } = throttle(1);
    expect(() => t.holding(() => t.request())).not.toThrow();
    expect(console.error).toHaveBeenCalledOnce();
    vi.runAllTimers();
    t.holding(() => t.request());
    expect(passes).toEqual({ calls: 2, run: 1 });
  });
});
