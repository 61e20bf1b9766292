// Since when a budget's spend counts (core/budget-since): a budget first set mid-period counts from that moment,
// not the period's start (runs before it are not counted); a change of ceiling keeps the count and is said as
// `changedAt`; a change of period carries the spend with its own start (`carried_over`); a rollover counts from the
// new period's start; an older document without the field reads the period's. Property: for any rules set at any
// times, the count never starts after the last rule's time, nor after the spend was last reset, and `changedAt`
// is inside the period and after the count began.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyRule, BUDGET_PERIODS, type ProductBudget, rollover } from "../../src/core/budget.ts";
import { changedInPeriod, spentSinceOf, spentSinceWords } from "../../src/core/budget-since.ts";

const DAY = Date.UTC(2026, 11, 7); // a Monday
const at = (h: number, m = 0) => DAY + h * 3_600_000 + m * 60_000;
const rule = (period: ProductBudget["period"], ceilingUsd = 25) => ({
  period,
  ceilingUsd,
  onExhausted: "pause" as const,
});

describe("spent since", () => {
  it("a budget first set mid-period counts from then; a later change of ceiling is said beside it", () => {
    const first = applyRule(undefined, rule("day"), at(14, 5));
    expect(spentSinceOf(first)).toEqual({ at: at(14, 5), cause: "budget_set" });
    expect(changedInPeriod(first)).toBeUndefined();
    const raised = applyRule({ ...first, spentUsd: 3.2 }, rule("day", 50), at(15, 30));
    expect(spentSinceOf(raised)).toEqual({ at: at(14, 5), cause: "budget_set" });
    expect(changedInPeriod(raised)).toBe(at(15, 30));
    expect(spentSinceWords({ spentSince: at(14, 5), spentSinceCause: "budget_set", changedAt: at(15, 30) })).toBe(
      "since 2026-12-07T14:05:00Z (budget set; runs before it are not counted); budget changed at 2026-12-07T15:30:00Z",
    );
  });

  it("set at the period's start counts from it; the next period counts from its own start", () => {
    const first = applyRule(undefined, rule("day"), DAY);
    expect(spentSinceOf(first)).toEqual({ at: DAY, cause: "period_start" });
    const next = rollover({ ...first, ruleSetAt: at(3) }, at(24 + 2));
    expect(spentSinceOf(next)).toEqual({ at: at(24), cause: "period_start" });
    expect(changedInPeriod(next)).toBeUndefined(); // a change in the previous period is not this one's
    expect(spentSinceWords({ spentSince: at(24), spentSinceCause: "period_start" })).toBe(
      "since 2026-12-08T00:00:00Z (period start)",
    );
  });

  it("a change of period carries the spend with the instant its count began", () => {
    const week = applyRule(undefined, rule("week"), at(0)); // Monday 00:00: the week's start
    const wednesday = at(48 + 9);
    const day = applyRule({ ...week, spentUsd: 4 }, rule("day"), wednesday);
    expect(day.periodStart).toBe(at(48));
    expect(spentSinceOf(day)).toEqual({ at: DAY, cause: "carried_over" }); // counted since Monday, before today
    // day → week on a Monday: the carried count began at the week's own start, which is what it is.
    const monday = applyRule(applyRule(undefined, rule("day"), DAY), rule("week"), at(10));
    expect(spentSinceOf(monday)).toEqual({ at: DAY, cause: "period_start" });
  });

  it("an older document without the field reads the period's start", () => {
    const { countsFrom: _, ruleSetAt: __, ...older } = applyRule(undefined, rule("day"), at(9));
    expect(spentSinceOf(older)).toEqual({ at: DAY, cause: "period_start" });
    expect(changedInPeriod(older)).toBeUndefined();
  });

  it("never counts from after the latest rule, and changedAt lies in the period after the count began", () => {
    const step = fc.record({
      period: fc.constantFrom(...BUDGET_PERIODS),
      dt: fc.integer({ min: 0, max: 20 * 86_400_000 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        let now = DAY;
        let b: ProductBudget | undefined;
        for (const s of steps) {
          now += s.dt;
          b = applyRule(b && rollover(b, now), rule(s.period), now);
          const since = spentSinceOf(b);
          expect(since.at).toBeLessThanOrEqual(now);
          if (since.cause !== "carried_over") expect(since.at).toBeGreaterThanOrEqual(b.periodStart);
          const changed = changedInPeriod(b);
          if (changed !== undefined) {
            expect(changed).toBeGreaterThanOrEqual(b.periodStart);
            expect(changed).toBeGreaterThan(since.at);
          }
        }
      }),
    );
  });
});
