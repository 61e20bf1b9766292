// How many job feeds a coordinator holds open: new feeds are admitted only while fewer than the
// budget count as open, a feed counts as open until it has been idle long enough to be evicted. `nextNewAt` (when the
// outbox's shipper wakes) is exactly when `admitOne` next admits a new feed: never a ms early — neither a float's
// hair short of the token, nor a freed slot with no token yet (busy) — and, as a property, never a ms late.
import fc from "fast-check";
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

describe("FeedBudget.busy", () => {
  it("slows new feeds to busyPace while dispatch work waits, never the open ones, and lets go after the hold", () => {
    const b = new FeedBudget(100, 10_000, 1, 0.1); // one new feed per 100 ms; per 1,000 ms while busy
    expect(b.admitOne("a", 0)).toBe(true);
    b.busy(0, 2_000);
    expect(b.admitOne("b", 100)).toBe(false); // the usual pace would have admitted it
    expect(b.admitOne("a", 150)).toBe(true); // open already: not slowed
    expect(b.admitOne("b", 999)).toBe(false);
    expect(b.admitOne("b", 1_000)).toBe(true);
    expect(b.admitOne("c", 1_500)).toBe(false);
    // The hold has passed (2 s after the last busy pass): the usual pace again.
    expect(b.admitOne("c", 2_100)).toBe(true);
    expect(b.admitOne("d", 2_200)).toBe(true);
  });

  it("admits at most burst + elapsed × max ÷ idleMs × busyPace new feeds while busy, whatever the calls", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
        (burst, pace, gaps) => {
          const max = 512;
          const idleMs = 20_000;
          const b = new FeedBudget(max, idleMs, burst, pace);
          let now = 1_000;
          b.busy(now, 1e9);
          let admitted = 0;
          gaps.forEach((gap, i) => {
            now += gap;
            if (b.admitOne(`job-${i}`, now)) admitted++;
          });
          const bound = burst + ((now - 1_000) * max * pace) / idleMs;
          return admitted <= Math.floor(bound + 1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("FeedBudget.nextNewAt", () => {
  it("says when the next new feed is admitted: now, at the next token, at the busy pace, or when a slot frees", () => {
    const b = new FeedBudget(2, 10_000, 1, 0.1); // one new feed per 5 s; per 50 s while busy
    expect(b.nextNewAt(0)).toBe(0);
    expect(b.admitOne("a", 0)).toBe(true);
    expect(b.nextNewAt(1_000)).toBe(5_000);
    expect(b.admitOne("b", 4_999)).toBe(false);
    expect(b.admitOne("b", b.nextNewAt(4_999))).toBe(true);
    // Both slots taken: the next new feed waits for the least recently used to stop counting (10 s after its use).
    expect(b.nextNewAt(6_000)).toBe(10_000);
    const c = new FeedBudget(100, 10_000, 1, 0.1);
    c.admitOne("x", 0);
    c.busy(0, 1e9);
    expect(c.nextNewAt(0)).toBe(1_000); // 100 ms at the usual pace, ten times that while busy
    expect(c.admitOne("y", 999)).toBe(false);
    expect(c.admitOne("y", 1_000)).toBe(true);
  });
});

/** A budget after `gaps` (ms between calls from 1,000, each `admitOne` of a new key), busy throughout if `busy`. */
function budgetAfter(args: ConstructorParameters<typeof FeedBudget>, busy: boolean, gaps: readonly number[]) {
  const b = new FeedBudget(...args);
  let now = 1_000;
  if (busy) b.busy(now, 1e12);
  gaps.forEach((gap, i) => {
    now += gap;
    b.admitOne(`k${i}`, now);
  });
  return { b, now };
}

describe("FeedBudget.nextNewAt is when admitOne admits", () => {
  it("every slot taken while busy: the slot frees at 10 s, the token comes at 55 s — it says 55 s", () => {
    const b = new FeedBudget(2, 10_000, 1, 0.1); // one new feed per 5 s; per 50 s while busy
    expect(admit(b, ["a"], 0)).toEqual(["a"]);
    expect(admit(b, ["b"], 5_000)).toEqual(["b"]);
    b.busy(5_000, 1e9);
    expect(b.nextNewAt(6_000)).toBe(55_000); // it said 10,000, and admitOne refused a new feed then
    expect(b.admitOne("c", 54_999)).toBe(false);
    expect(b.admitOne("c", 55_000)).toBe(true);
  });

  it("a token a float's hair short: (max 2, idleMs 80,324, pace 0.01) after nine calls, 41,163 not 41,162", () => {
    // ⌈(1 − tokens) ÷ rate⌉ ms on, the refills summed one by one read 0.9999999999999999 of a token.
    const { b, now } = budgetAfter([2, 80_324, 1, 0.01], false, [0, 80, 359, 386, 32, 368, 28, 144, 195]);
    const at = b.nextNewAt(now);
    expect(at).toBe(41_163);
    expect(b.admitOne("fresh", at)).toBe(true);
  });

  it("property: admits a new feed at nextNewAt, and not a ms before it", () => {
    const args = fc.tuple(
      fc.integer({ min: 1, max: 1_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: 1, max: 8 }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
    );
    const gaps = fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 50 });
    fc.assert(
      fc.property(args, fc.boolean(), gaps, (a, busy, gs) => {
        const { b, now } = budgetAfter(a, busy, gs);
        const at = b.nextNewAt(now);
        expect(at).toBeGreaterThanOrEqual(now);
        if (at > now) expect(budgetAfter(a, busy, gs).b.admitOne("fresh", at - 1)).toBe(false);
        expect(b.admitOne("fresh", at)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
