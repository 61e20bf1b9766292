// The budget rules (core/budget, core/job-budget), with fast-check properties where a rule has a bound: the period
// holding `now` starts on a UTC boundary (midnight; Monday for weeks; the 1st for months), contains `now`, and asking
// again from its start or any instant inside gives the same period; accrual of cumulative reports never counts
// twice, whatever their order or repetition (to the micro-dollar, reports with half a micro-dollar included); the
// burndown stays within its cap, ordered (also when the clock steps back), ending at the last spend; state is
// warning from 80 % of the ceiling and paused by anyone's pause; rollover starts afresh keeping only an operator's
// pause (core/budget's pauses, micro-dollars and period changes: budget-pauses.test.ts); a job's budget trips
// strictly past each limit (usd, tokens, wall seconds).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addPoint,
  BUDGET_PERIODS,
  BURNDOWN_MAX_POINTS,
  type BudgetPoint,
  budgetState,
  nextPeriodStart,
  type ProductBudget,
  periodStartOf,
  rollover,
  toMicros,
} from "../../src/core/budget.ts";
import { jobOverrun } from "../../src/core/job-budget.ts";
import { accrue } from "../../src/core/run-accrual.ts";

// 1970 … 2100: the instants a coordinator can meet.
const instant = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });
const period = fc.constantFrom(...BUDGET_PERIODS);

describe("periodStartOf / nextPeriodStart", () => {
  it("contain now: start ≤ now < next start", () => {
    fc.assert(
      fc.property(period, instant, (p, now) => {
        const start = periodStartOf(p, now);
        expect(start).toBeLessThanOrEqual(now);
        expect(nextPeriodStart(p, start)).toBeGreaterThan(now);
      }),
    );
  });

  it("start on a UTC boundary: midnight, a Monday for weeks, the 1st for months", () => {
    fc.assert(
      fc.property(period, instant, (p, now) => {
        const d = new Date(periodStartOf(p, now));
        expect([d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]).toEqual([0, 0, 0, 0]);
        if (p === "week") expect(d.getUTCDay()).toBe(1);
        if (p === "month") expect(d.getUTCDate()).toBe(1);
      }),
    );
  });

  it("are idempotent: the start of the start, or of any instant before the next start, is the same start", () => {
    fc.assert(
      fc.property(period, instant, fc.double({ min: 0, max: 1, noNaN: true }), (p, now, f) => {
        const start = periodStartOf(p, now);
        expect(periodStartOf(p, start)).toBe(start);
        const next = nextPeriodStart(p, start);
        expect(periodStartOf(p, start + Math.floor((next - start - 1) * f))).toBe(start);
        expect(periodStartOf(p, next)).toBe(next); // the next start is itself a boundary
      }),
    );
  });

  it("knows ISO weeks and month lengths", () => {
    const sunday = Date.UTC(2026, 10, 29, 23, 59); // Sunday 29 Nov 2026
    expect(periodStartOf("week", sunday)).toBe(Date.UTC(2026, 10, 23));
    expect(nextPeriodStart("month", Date.UTC(2028, 1, 10))).toBe(Date.UTC(2028, 2, 1)); // leap February
    expect(nextPeriodStart("day", Date.UTC(2026, 11, 31, 12))).toBe(Date.UTC(2027, 0, 1));
  });
});

/** What `reports`, sent twice over, add to a budget: the sum of their deltas (floats, as they are added up). */
function accrued(reports: readonly number[]): number {
  let seen = { costUsd: 0, tokens: 0 };
  let total = 0;
  for (const costUsd of [...reports, ...reports]) {
    const r = accrue(seen, { costUsd, tokens: 0 });
    expect(r.deltaUsd).toBeGreaterThanOrEqual(0);
    total += r.deltaUsd;
    seen = r.seen;
  }
  return total;
}

/** A cumulative cost report: any double, or one with half a micro-dollar (where rounding to micro-dollars turns). */
const report = fc.oneof(
  fc.double({ min: 0, max: 1000, noNaN: true }),
  fc.integer({ min: 0, max: 999_999_999 }).map((m) => (m + 0.5) / 1e6),
);

describe("accrue", () => {
  it("never counts twice: the sum of what is added is the highest cumulative cost reported, in micro-dollars", () => {
    fc.assert(
      fc.property(fc.array(report, { maxLength: 50 }), (reports) => {
        expect(toMicros(accrued(reports))).toBe(toMicros(Math.max(0, ...reports)));
      }),
    );
  });

  it("a report of $12.3456785 is charged $12.345679: the report to the micro-dollar, not a float's distance of it", () => {
    // The oracle was "within 5e-7 of the report" (toBeCloseTo 6): half a micro-dollar is 5e-7 away, not within.
    expect(toMicros(accrued([12.3456785]))).toBe(12_345_679);
    expect(toMicros(accrued([5e-7]))).toBe(1);
  });
});

describe("burndown", () => {
  it("stays within its cap, in time order, its last point the latest spend", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3_600_000 }), { minLength: 1, maxLength: 1500 }), (gaps) => {
        let series: BudgetPoint[] = [{ at: 0, spentUsd: 0 }];
        let at = 0;
        let spent = 0;
        for (const gap of gaps) {
          at += gap;
          spent += 1;
          series = addPoint(series, at, spent);
        }
        expect(series.length).toBeLessThanOrEqual(BURNDOWN_MAX_POINTS);
        expect(series[0]).toEqual({ at: 0, spentUsd: 0 });
        expect(series.at(-1)).toEqual({ at, spentUsd: spent });
        for (let i = 1; i < series.length; i++) expect(series[i]!.at).toBeGreaterThan(series[i - 1]!.at);
      }),
    );
  });

  it("stays in time order when the clock steps back, its last point the latest spend", () => {
    // NTP stepped the host clock back 10 minutes after the spend at 1 h: the next spend's point had gone after it
    // with an earlier time, so a chart of the series (x ascending) drew the line back in time.
    let s = addPoint([{ at: 0, spentUsd: 0 }], 3_600_000, 1);
    s = addPoint(s, 3_000_000, 2);
    s = addPoint(s, 3_000_000 + 120_000, 3);
    for (let i = 1; i < s.length; i++) expect(s[i]!.at).toBeGreaterThanOrEqual(s[i - 1]!.at);
    expect(s.at(-1)!.spentUsd).toBe(3);
    expect(s).toEqual([
      { at: 0, spentUsd: 0 },
      { at: 3_600_000, spentUsd: 3 },
    ]);
  });

  it("coalesces spend within the same minute into one point", () => {
    const s = addPoint(addPoint([{ at: 0, spentUsd: 0 }], 120_000, 1), 150_000, 2);
    expect(s).toEqual([
      { at: 0, spentUsd: 0 },
      { at: 150_000, spentUsd: 2 },
    ]);
  });
});

describe("state and rollover", () => {
  const budget = (over: Partial<ProductBudget> = {}): ProductBudget => ({
    period: "day",
    ceilingUsd: 10,
    onExhausted: "pause",
    periodStart: Date.UTC(2026, 11, 1),
    spentUsd: 0,
    burndown: [],
    ...over,
  });

  it("is ok below 80 %, warning from 80 %, paused when anyone paused it", () => {
    expect(budgetState(budget({ spentUsd: 7.99 }))).toBe("ok");
    expect(budgetState(budget({ spentUsd: 8 }))).toBe("warning");
    expect(budgetState(budget({ spentUsd: 12 }))).toBe("warning"); // over, but an operator resumed it
    expect(budgetState(budget({ spentUsd: 10, exhausted: true }))).toBe("paused");
    expect(budgetState(budget({ pausedBy: "operator" }))).toBe("paused");
  });

  it("rolls over at the boundary: nothing spent, the exhaustion pause lifted, an operator's kept", () => {
    const b = budget({ spentUsd: 11, exhausted: true, overrun: true });
    expect(rollover(b, Date.UTC(2026, 11, 1, 23, 59))).toBe(b);
    const next = rollover(b, Date.UTC(2026, 11, 3, 5));
    expect(next).toMatchObject({ periodStart: Date.UTC(2026, 11, 3), spentUsd: 0 });
    expect(next.pausedBy).toBeUndefined();
    expect(next.exhausted).toBeUndefined();
    expect(next.overrun).toBeUndefined();
    expect(rollover(budget({ pausedBy: "operator" }), Date.UTC(2026, 11, 2)).pausedBy).toBe("operator");
  });
});

describe("jobOverrun", () => {
  const start = 1_000_000;
  it("trips strictly past each limit, naming it", () => {
    expect(jobOverrun({ usd: 2 }, { costUsd: 2 }, start, start)).toBeUndefined();
    expect(jobOverrun({ usd: 2 }, { costUsd: 2.01 }, start, start)?.limit).toBe("usd");
    expect(jobOverrun({ tokens: 100 }, { tokensIn: 60, tokensOut: 40 }, start, start)).toBeUndefined();
    expect(jobOverrun({ tokens: 100 }, { tokensIn: 60, tokensOut: 41 }, start, start)).toMatchObject({ used: 101 });
    expect(jobOverrun({ wallSeconds: 60 }, undefined, start, start + 126_000)).toBeUndefined(); // 60 s + 66 s grace
    expect(jobOverrun({ wallSeconds: 60 }, undefined, start, start + 126_001)?.limit).toBe("wallSeconds");
    expect(jobOverrun({}, { costUsd: 1e6, tokensIn: 1e9 }, start, start + 1e9)).toBeUndefined();
  });
});
