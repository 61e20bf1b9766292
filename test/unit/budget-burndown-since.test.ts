// The burndown starts when the spend starts counting (core/budget-since), not at the period's start: a budget first
// set on day 20 of a month starts its line on day 20 at $0 (a line flat at $0 from day 1 said nothing was spent
// then, when those runs were simply not counted); spend carried into a new period starts at the later of the period's
// start and the carried count's. A stored document from before draws from there too (`burndownFrom` in the view).
// Property: for any rules set at any times and spend added, no point lies before the count's start or the period's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addPoint, applyRule, BUDGET_PERIODS, type ProductBudget, rollover } from "../../src/core/budget.ts";
import { burndownFrom } from "../../src/core/budget-burndown.ts";
import { spentSinceOf } from "../../src/core/budget-since.ts";
import { viewBudget } from "../../src/durable-objects/coordinator/policies/budget-view.ts";

const MONTH = Date.UTC(2026, 10, 1); // 1 November 2026: a 30-day month
const DAY_MS = 86_400_000;
const rule = (period: ProductBudget["period"]) => ({ period, ceilingUsd: 25, onExhausted: "pause" as const });

describe("the burndown of a budget set mid-period", () => {
  it("starts on the day it was set, at $0, not on the period's first day", () => {
    const day20 = MONTH + 19 * DAY_MS + 3_600_000;
    const b = applyRule(undefined, rule("month"), day20);
    expect(b.periodStart).toBe(MONTH);
    expect(b.burndown).toEqual([{ at: day20, spentUsd: 0 }]);
    expect(viewBudget(b).burndown[0]).toEqual({ at: viewBudget(b).spentSince, spentUsd: 0 });
  });

  it("carried into a longer period, starts where the carried count began", () => {
    const monday = Date.UTC(2026, 11, 7);
    const wednesday = monday + 2 * DAY_MS + 9 * 3_600_000;
    const day = applyRule(undefined, rule("day"), wednesday); // counts from Wednesday 09:00
    const week = applyRule({ ...day, spentUsd: 3 }, rule("week"), wednesday + 3_600_000);
    expect(week.periodStart).toBe(monday);
    expect(week.burndown[0]?.at).toBe(wednesday);
  });

  it("reads a stored document that began at the period's start from the count's start, keeping later points", () => {
    const day20 = MONTH + 19 * DAY_MS;
    const stored = [
      { at: MONTH, spentUsd: 0 },
      { at: day20 + 60_000, spentUsd: 1.5 },
    ];
    expect(burndownFrom(stored, day20)).toEqual([
      { at: day20, spentUsd: 0 },
      { at: day20 + 60_000, spentUsd: 1.5 },
    ]);
    expect(burndownFrom(stored, MONTH)).toEqual(stored);
    const b = { ...applyRule(undefined, rule("month"), day20), burndown: stored };
    expect(viewBudget(b).burndown).toEqual(burndownFrom(stored, day20));
  });

  it("never has a point before the count's start or the period's (property)", () => {
    const step = fc.record({
      period: fc.constantFrom(...BUDGET_PERIODS),
      dt: fc.integer({ min: 0, max: 20 * DAY_MS }),
      spend: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        let now = MONTH + 7 * DAY_MS;
        let b: ProductBudget | undefined;
        for (const s of steps) {
          now += s.dt;
          b = applyRule(b && rollover(b, now), rule(s.period), now);
          const spentUsd = b.spentUsd + s.spend;
          b = { ...b, spentUsd, burndown: addPoint(b.burndown, now + 1, spentUsd) };
          const start = Math.max(b.periodStart, spentSinceOf(b).at);
          expect(b.burndown[0]?.at).toBeGreaterThanOrEqual(start);
          expect(viewBudget(b).burndown[0]?.at).toBeGreaterThanOrEqual(start);
        }
      }),
    );
  });
});
