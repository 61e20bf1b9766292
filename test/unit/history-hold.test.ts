// core/history-hold: while the coordinator is loaded, a history record waits until it is HISTORY_HOLD_MS old and
// no longer; when it is not loaded, nothing waits. The "loaded" it reads is the feed budget's busy state, which
// lasts BUSY_HOLD_MS after the last sign of load.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUSY_HOLD_MS, FeedBudget } from "../../src/core/feed-budget.ts";
import { HISTORY_HOLD_MS, historyCutoff } from "../../src/core/history-hold.ts";

describe("core/history-hold", () => {
  it("loaded, a record is due exactly when it has waited the whole hold; never held longer (the bound)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 10 * 60_000 }), (at, waited) => {
        const now = at + waited;
        expect(at <= historyCutoff(now, true)).toBe(waited >= HISTORY_HOLD_MS);
      }),
    );
  });

  it("not loaded, every record written up to now is due at once", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 10 * 60_000 }), (at, waited) => {
        expect(at <= historyCutoff(at + waited, false)).toBe(true);
      }),
    );
  });

  it("the feed budget counts as loaded for BUSY_HOLD_MS after each sign of load, renewed by the next", () => {
    const b = new FeedBudget();
    expect(b.isBusy(0)).toBe(false);
    b.busy(1_000);
    expect(b.isBusy(1_000)).toBe(true);
    expect(b.isBusy(1_000 + BUSY_HOLD_MS - 1)).toBe(true);
    expect(b.isBusy(1_000 + BUSY_HOLD_MS)).toBe(false);
    b.busy(2_500); // a later sign extends it; an earlier one never shortens it
    b.busy(1_200);
    expect(b.isBusy(2_500 + BUSY_HOLD_MS - 1)).toBe(true);
    expect(b.isBusy(2_500 + BUSY_HOLD_MS)).toBe(false);
  });
});
