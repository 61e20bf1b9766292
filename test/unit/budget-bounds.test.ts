// The product budget's rules at their edges, as properties: a period rolls over exactly at its boundary (unchanged a
// millisecond before; fresh from it, an operator's pause kept, exhaustion and overrun lifted), the 80 % warning and
// the drawn warning line agree to the micro-dollar, spend summed over many reports is exact in cents and
// micro-dollars, and no sequence of rule changes within a period lowers the spend it counts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addUsd,
  applyRule,
  BUDGET_PERIODS,
  budgetState,
  fromMicros,
  nextPeriodStart,
  type OnExhausted,
  overCeiling,
  type ProductBudget,
  periodStartOf,
  rollover,
  toMicros,
  warnAtUsd,
  warns,
} from "../../src/core/budget.ts";

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
