// How many job feeds a coordinator holds open: new feeds are admitted only while fewer than the
// budget count as open, a feed counts as open until it has been idle long enough to be evicted.
import { describe, expect, it } from "vitest";
import { FeedBudget } from "../../src/core/feed-budget.ts";

/** The keys of `keys` the budget admits at `now`, in order (one `admitOne` each). */
const admit = (b: FeedBudget, keys: string[], now: number) => keys.filter((k) => b.admitOne(k, now));

describe("FeedBudget", () => {
  it("admits new feeds up to the budget, and always the ones already open", () => {
    const b = new FeedBudget(3, 10_000, 3);
    expect(admit(b, ["a", "b", "c", "d", "e"], 0)).toEqual(["a", "b", "c"]);
    expect(admit(b, ["d", "a"], 1_000)).toEqual(["a"]);
    expect(b.openCount(1_000)).toBe(3);
  });

  it("frees a slot once a feed has been idle for the eviction window, counted from its last use", () => {
    const b = new FeedBudget(2, 10_000, 2);
    admit(b, ["a", "b"], 0);
    b.touch("b", 5_000); // b's call ended later: it stays open longer
    expect(admit(b, ["c"], 9_999)).toEqual([]);
    expect(admit(b, ["c"], 10_000)).toEqual(["c"]); // a idle for 10 s: evicted
    expect(admit(b, ["d"], 14_999)).toEqual([]);
    expect(admit(b, ["d"], 15_000)).toEqual(["d"]);
  });

  it("never counts more open feeds than the budget, whatever the burst", () => {
    const b = new FeedBudget(100, 15_000, 100);
    for (let t = 0; t < 60_000; t += 500) {
      admit(
        b,
        Array.from({ length: 50 }, (_, i) => `job-${t}-${i}`),
        t,
      );
      expect(b.openCount(t)).toBeLessThanOrEqual(100);
    }
  });
});

describe("FeedBudget.admitOne", () => {
  it("opens new feeds in bursts of at most `burst`, then at max ÷ idleMs — the ones already open are never held", () => {
    const b = new FeedBudget(100, 10_000, 4); // one new feed per 100 ms after a burst of 4
    const at0 = Array.from({ length: 10 }, (_, i) => b.admitOne(`n${i}`, 0));
    expect(at0.filter(Boolean)).toHaveLength(4);
    expect(b.admitOne("n0", 1)).toBe(true); // open already: no token needed
    expect(b.admitOne("late", 50)).toBe(false);
    expect(b.admitOne("late", 100)).toBe(true);
    // However long the pause, no more than `burst` new feeds at once.
    const later = Array.from({ length: 10 }, (_, i) => b.admitOne(`m${i}`, 60_000));
    expect(later.filter(Boolean)).toHaveLength(4);
  });
});
