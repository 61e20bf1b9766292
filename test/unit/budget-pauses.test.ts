// The product budget's money and pauses (core/budget): spend sums in whole micro-dollars, so ten $0.10 runs reach a
// $1 ceiling exactly (floats gave 0.9999999999999999) and a run's accrued deltas add up to its last report; a
// ceiling is kept to the micro-dollar (never "$25.0000004" while exhausted at $25.00 spent); the
// warning line and exhaustion compare in micro-dollars; exhaustion is a fact of spend and ceiling whoever paused,
// and `resume` lifts an operator's pause before exhaustion's; stored documents of the older shape (float sums, one
// `pausedBy` for both pauses) read in today's; a new period carries the spend over instead of starting from zero,
// so day → week → day erases nothing. At the edges, as properties: a period rolls over exactly at its boundary
// (unchanged a millisecond before; fresh from it, an operator's pause kept, exhaustion and overrun lifted), the 80 %
// warning and the drawn warning line agree to the micro-dollar, spend summed over many reports is exact, and no
// sequence of rule changes within a period lowers the spend it counts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addUsd,
  applyRule,
  BUDGET_PERIODS,
  budgetState,
  exhausts,
  fromMicros,
  nextPeriodStart,
  normalize,
  type OnExhausted,
  overCeiling,
  type ProductBudget,
  pausedByOf,
  periodStartOf,
  rollover,
  toMicros,
  warnAtUsd,
  warns,
} from "../../src/core/budget.ts";
import { accrue } from "../../src/core/run-accrual.ts";
import { budgetFixture } from "../support/fixtures.ts";

const budget = budgetFixture;

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

  it("a ceiling is kept to the micro-dollar it is compared in, set or stored: never exhausted below what it reads", () => {
    const set = applyRule(
      undefined,
      { period: "day", ceilingUsd: 25.0000004, onExhausted: "pause" },
      Date.UTC(2026, 11, 4),
    );
    expect(set.ceilingUsd).toBe(25);
    expect(normalize(budget({ ceilingUsd: 0.0100004 })).ceilingUsd).toBe(0.01);
    // What it reads is what exhausts: $25 spent is at it, a micro-dollar less under it.
    expect(exhausts({ ...set, spentUsd: 25 })).toBe(true);
    expect(exhausts({ ...set, spentUsd: 24.999999 })).toBe(false);
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

const period = fc.constantFrom(...BUDGET_PERIODS);
const instant = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });
/** USD to the micro-dollar, up to $10 M (the ceiling's bound, shared/api-budget). */
const usd = fc.integer({ min: 0, max: 10_000_000_000_000 }).map(fromMicros);
/** A ceiling PUT may set: $0.01 … $10 M. */
const ceiling = fc.integer({ min: 10_000, max: 10_000_000_000_000 }).map(fromMicros);

const budgetAt = (p: (typeof BUDGET_PERIODS)[number], start: number, over: Partial<ProductBudget> = {}) =>
  ({
    period: p,
    ceilingUsd: 1,
    onExhausted: "pause",
    periodStart: start,
    spentUsd: 2,
    exhausted: true,
    overrun: true,
    burndown: [{ at: start, spentUsd: 0 }],
    ...over,
  }) satisfies ProductBudget;

describe("rollover at the boundary", () => {
  it("is the same budget before the boundary and a fresh period from it, to the millisecond", () => {
    fc.assert(
      fc.property(period, instant, fc.integer({ min: -2, max: 2 }), fc.boolean(), (p, t, d, byOperator) => {
        const start = periodStartOf(p, t);
        const b = budgetAt(p, start, byOperator ? { pausedBy: "operator" } : {});
        const boundary = nextPeriodStart(p, start);
        const r = rollover(b, boundary + d);
        if (d < 0) {
          expect(r).toBe(b);
          return;
        }
        expect(r).toMatchObject({ periodStart: boundary, spentUsd: 0, burndown: [{ at: boundary, spentUsd: 0 }] });
        expect(r.exhausted).toBeUndefined();
        expect(r.overrun).toBeUndefined();
        expect(r.pausedBy).toBe(byOperator ? "operator" : undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it("from any later instant, starts the period holding it (periods skipped while nothing ran count nothing)", () => {
    fc.assert(
      fc.property(period, instant, fc.integer({ min: 0, max: 400 * 86_400_000 }), (p, t, later) => {
        const start = periodStartOf(p, t);
        const now = nextPeriodStart(p, start) + later;
        const r = rollover(budgetAt(p, start), now);
        expect(r.periodStart).toBe(periodStartOf(p, now));
        expect(r.periodStart).toBeLessThanOrEqual(now);
        expect(nextPeriodStart(p, r.periodStart)).toBeGreaterThan(now);
      }),
    );
  });
});

describe("thresholds in micro-dollars", () => {
  it("the 80 % warning and the warning line agree; exhaustion is spend ≥ ceiling, both to the micro-dollar", () => {
    fc.assert(
      fc.property(ceiling, usd, (c, s) => {
        const b = { ceilingUsd: c, spentUsd: s };
        expect(warns(b)).toBe(toMicros(s) >= toMicros(warnAtUsd(b)));
        expect(overCeiling(b)).toBe(toMicros(s) >= toMicros(c));
        expect(budgetState(b)).toBe(warns(b) ? "warning" : "ok");
      }),
      { numRuns: 5000 },
    );
  });
});

describe("sums", () => {
  it("any number of reports add up exactly: k cents are k cents, micro-dollars are micro-dollars", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000_000_000 }), { maxLength: 300 }), (micros) => {
        let total = 0;
        for (const m of micros) total = addUsd(total, fromMicros(m));
        expect(toMicros(total)).toBe(micros.reduce((a, m) => a + m, 0));
      }),
    );
    let cents = 0;
    for (let i = 0; i < 1000; i++) cents = addUsd(cents, 0.01);
    expect(cents).toBe(10);
  });

  it("no sequence of rule changes at one instant lowers (or raises) the spend the budget counts", () => {
    const rule = fc.record({ period, ceilingUsd: ceiling, onExhausted: fc.constantFrom<OnExhausted>("pause", "stop") });
    fc.assert(
      fc.property(instant, usd, fc.array(rule, { minLength: 1, maxLength: 8 }), (now, spent, rules) => {
        let b = applyRule(undefined, rules[0]!, now);
        b = { ...b, spentUsd: spent };
        for (const r of rules.slice(1)) b = applyRule(rollover(b, now), r, now);
        expect(b.spentUsd).toBe(spent);
      }),
    );
  });
});
