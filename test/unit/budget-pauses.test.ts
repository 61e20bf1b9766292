// The product budget's money and pauses (core/budget): spend sums in whole micro-dollars, so ten $0.10 runs reach a
// $1 ceiling exactly (floats gave 0.9999999999999999) and a run's accrued deltas add up to its last report; the
// warning line and exhaustion compare in micro-dollars; exhaustion is a fact of spend and ceiling whoever paused,
// and `resume` lifts an operator's pause before exhaustion's; stored documents of the older shape (float sums, one
// `pausedBy` for both pauses) read in today's; a new period carries the spend over instead of starting from zero,
// so day → week → day erases nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addUsd,
  applyRule,
  budgetState,
  exhausts,
  normalize,
  type ProductBudget,
  pausedByOf,
  periodStartOf,
  toMicros,
  warns,
} from "../../src/core/budget.ts";
import { accrue } from "../../src/core/run-accrual.ts";

const budget = (over: Partial<ProductBudget> = {}): ProductBudget => ({
  period: "month",
  ceilingUsd: 1,
  onExhausted: "stop",
  periodStart: Date.UTC(2026, 11, 1),
  spentUsd: 0,
  burndown: [],
  ...over,
});

describe("micro-dollars", () => {
  it("ten $0.10 runs reach a $1 ceiling exactly: exhausted, not 0.9999999999999999 and a warning", () => {
    let spentUsd = 0;
    for (let i = 0; i < 10; i++) spentUsd = addUsd(spentUsd, 0.1);
    expect(spentUsd).toBe(1);
    expect(exhausts(budget({ spentUsd }))).toBe(true);
    // Even a float total that drifted (as stored before) compares by micro-dollars.
    expect(exhausts(budget({ spentUsd: 0.9999999999999999 }))).toBe(true);
    expect(warns(budget({ ceilingUsd: 1, spentUsd: 0.7999999999999999 }))).toBe(true);
    expect(warns(budget({ ceilingUsd: 1, spentUsd: 0.799999 }))).toBe(false);
  });

  it("a run's deltas add up to its highest report to the micro-dollar, whatever the order of its reports", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { maxLength: 40 }), (reports) => {
        let seen = { costUsd: 0, tokens: 0 };
        let total = 0;
        for (const costUsd of reports) {
          const r = accrue(seen, { costUsd, tokens: 0 });
          total = addUsd(total, r.deltaUsd);
          seen = r.seen;
        }
        expect(toMicros(total)).toBe(toMicros(Math.max(0, ...reports)));
      }),
    );
  });
});

describe("pauses", () => {
  it("exhaustion is spend against the ceiling, whoever paused; only an overrun holds it off", () => {
    expect(exhausts(budget({ spentUsd: 50, pausedBy: "operator" }))).toBe(true);
    expect(exhausts(budget({ spentUsd: 50, overrun: true }))).toBe(false);
    expect(exhausts(budget({ spentUsd: 0.99 }))).toBe(false);
  });

  it("names the pause resume lifts first: an operator's, then exhaustion's", () => {
    expect(pausedByOf(budget({ pausedBy: "operator", exhausted: true }))).toBe("operator");
    expect(pausedByOf(budget({ exhausted: true }))).toBe("exhausted");
    expect(pausedByOf(budget({ spentUsd: 50, overrun: true }))).toBeUndefined();
    expect(budgetState(budget({ spentUsd: 50, exhausted: true }))).toBe("paused");
  });

  it("reads older documents: a float sum rounded, `pausedBy: exhausted` as the exhaustion pause", () => {
    const old = { ...budget({ spentUsd: 0.9999999999999999 }), pausedBy: "exhausted" as const };
    expect(normalize(old)).toEqual(budget({ spentUsd: 1, exhausted: true }));
    const op = { ...budget({ spentUsd: 0.3 }), pausedBy: "operator" as const };
    expect(normalize(op)).toEqual(budget({ spentUsd: 0.3, pausedBy: "operator" }));
  });
});

describe("applyRule: setting the budget", () => {
  const now = Date.UTC(2026, 11, 9, 15); // a Wednesday
  const week = budget({
    period: "week",
    ceilingUsd: 10,
    periodStart: periodStartOf("week", now),
    spentUsd: 10,
    exhausted: true,
    burndown: [{ at: periodStartOf("week", now), spentUsd: 0 }],
  });
  const rule = { ceilingUsd: 10, onExhausted: "pause" } as const;

  it("the same period keeps start, spend, burndown and pauses", () => {
    const b = applyRule({ ...week, overrun: true }, { ...rule, period: "week", ceilingUsd: 20 }, now);
    expect(b).toMatchObject({ ceilingUsd: 20, periodStart: week.periodStart, spentUsd: 10, overrun: true });
    expect(b.burndown).toBe(week.burndown);
  });

  it("a new period carries the spend over: week → day → week erases nothing, and exhaustion holds", () => {
    const day = applyRule(week, { ...rule, period: "day" }, now);
    expect(day).toMatchObject({ period: "day", periodStart: Date.UTC(2026, 11, 9), spentUsd: 10, exhausted: true });
    expect(day.burndown).toEqual([{ at: Date.UTC(2026, 11, 9), spentUsd: 10 }]);
    expect(exhausts(day)).toBe(true);
    const back = applyRule(day, { ...rule, period: "week" }, now + 60_000);
    expect(back).toMatchObject({ period: "week", periodStart: week.periodStart, spentUsd: 10 });
    expect(back.burndown).toBe(day.burndown); // the week holds the day: its points are inside it
  });

  it("a new period ends an overrun and keeps an operator's pause", () => {
    const b = applyRule({ ...week, overrun: true, pausedBy: "operator" }, { ...rule, period: "month" }, now);
    expect(b.overrun).toBeUndefined();
    expect(b.pausedBy).toBe("operator");
    expect(exhausts(b)).toBe(true);
  });
});
