// core/history-hold: while the coordinator is loaded, a history record waits until it is HISTORY_HOLD_MS old and
// no longer; when it is not loaded, nothing waits. The "loaded" it reads is the feed budget's busy state, which
// lasts BUSY_HOLD_MS after the last sign of load; held history is due when the load ends or the hold runs out.
// Lessons are never held.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOAD_SETTLE_MS } from "../../bench/cpu-per-job.ts";
import { BUSY_HOLD_MS, FeedBudget } from "../../src/core/feed-budget.ts";
import {
  HISTORY_HOLD_MIN_UNITS,
  HISTORY_HOLD_MS,
  historyCutoff,
  historyDueAt,
  historyLoaded,
  holdsKind,
  UnitRate,
} from "../../src/core/history-hold.ts";

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

  it("held history is due when the load ends or its oldest record has waited the hold, whichever is first", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -5_000, max: 120_000 }), (at, busyFor) => {
        const busyUntil = at + busyFor;
        const due = historyDueAt(at, busyUntil);
        expect(due).toBeLessThanOrEqual(at + HISTORY_HOLD_MS); // the bound
        expect(due).toBeLessThanOrEqual(busyUntil); // never waits past the load
        expect(due === at + HISTORY_HOLD_MS || due === busyUntil).toBe(true);
        // due is exactly when the cutoff (loaded until busyUntil, then not) first lets the record go
        if (due < busyUntil) expect(at <= historyCutoff(due, true)).toBe(true);
      }),
    );
  });

  it("holds snapshots, runs and audit entries, never a lesson (the API reads lessons back from D1)", () => {
    expect(["snapshot", "run", "audit"].every(holdsKind)).toBe(true);
    expect(holdsKind("lesson")).toBe(false);
  });

  it("the bench's CPU-per-job tail waits out the load before it looks for quiet (held history is counted)", () => {
    expect(LOAD_SETTLE_MS).toBeGreaterThanOrEqual(BUSY_HOLD_MS + 1_000);
  });

  it("loaded for history means busy AND at least HISTORY_HOLD_MIN_UNITS units a second", () => {
    expect(historyLoaded(true, HISTORY_HOLD_MIN_UNITS)).toBe(true);
    expect(historyLoaded(true, HISTORY_HOLD_MIN_UNITS - 1)).toBe(false); // a standing backlog, the thread idle
    expect(historyLoaded(false, 10 * HISTORY_HOLD_MIN_UNITS)).toBe(false);
  });

  it("UnitRate counts the units of the last full second or of this one, whichever is more; 0 after a silent second", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 }), (offsets) => {
        const times = [...offsets].sort((a, b) => a - b).map((t) => 10_000 + t);
        const rate = new UnitRate();
        for (const t of times) rate.note(t);
        const now = times.at(-1) ?? 10_000;
        const s = Math.floor(now / 1_000);
        const inSecond = (k: number) => times.filter((t) => Math.floor(t / 1_000) === k).length;
        expect(rate.perSecond(now)).toBe(Math.max(inSecond(s), inSecond(s - 1)));
        expect(rate.perSecond(now + 2_000)).toBe(0);
      }),
    );
  });
});
