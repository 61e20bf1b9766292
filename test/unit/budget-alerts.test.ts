// The product budget's alert texts and steps (core/budget-alerts), as properties over random sequences of budgets
// (spend rising, ceilings and periods changed, operators pausing and resuming, periods rolling over) played onto a
// model of the two live alerts: the warning is open exactly while the spend is ≥ 80 % and names the ceiling and
// period in force (it kept naming the old ones after an operator's change); the exhaustion alert is open exactly
// while the budget is exhausted or overrun, with the current budget's text (its spend the one it was raised at, its
// step what lifts the pause); "running jobs stopped" is said only while
// the exhaustion pause is in force under `stop` (an overrun an operator paused again stopped nothing); a ceiling is
// named as every budget view names it ($0.035, not $0.04).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUDGET_PERIODS, exhausts, overCeiling, type ProductBudget, warns } from "../../src/core/budget.ts";
import { budgetAlertSteps, exhaustedText, warningText } from "../../src/core/budget-alerts.ts";
import { budgetFixture } from "../support/fixtures.ts";

const budget = budgetFixture;

/** A budget as the coordinator saves it: an overrun only over the ceiling, `exhausted` recomputed. */
function saved(b: ProductBudget): ProductBudget {
  const { exhausted: _, overrun, ...rest } = b;
  const next: ProductBudget = { ...rest, ...(overrun && overCeiling(b) ? { overrun: true } : {}) };
  return exhausts(next) ? { ...next, exhausted: true } : next;
}

const Change = fc.oneof(
  fc.record({ k: fc.constant("spend" as const), usd: fc.constantFrom(0.001, 0.01, 0.5, 3, 7.25) }),
  fc.record({
    k: fc.constant("rule" as const),
    ceilingUsd: fc.constantFrom(0.035, 1, 9, 10, 12.5),
    period: fc.constantFrom(...BUDGET_PERIODS),
    onExhausted: fc.constantFrom("pause" as const, "stop" as const),
  }),
  fc.constantFrom({ k: "pause" as const }, { k: "resume" as const }, { k: "rollover" as const }),
);

type ChangeT = typeof Change extends fc.Arbitrary<infer T> ? T : never;

/** One change as the coordinator makes it (policies/budget), saved. */
function apply(b: ProductBudget, change: ChangeT): ProductBudget {
  switch (change.k) {
    case "spend":
      return saved({ ...b, spentUsd: b.spentUsd + change.usd });
    case "rule":
      return saved({ ...b, ceilingUsd: change.ceilingUsd, period: change.period, onExhausted: change.onExhausted });
    case "pause":
      return saved({ ...b, pausedBy: "operator" });
    case "resume": {
      if (b.pausedBy) {
        const { pausedBy: _, ...rest } = b;
        return saved(rest);
      }
      return b.exhausted ? saved({ ...b, overrun: true }) : b;
    }
    default: {
      const { exhausted: _, overrun: __, ...rest } = b;
      return saved({ ...rest, spentUsd: 0 });
    }
  }
}

describe("the budget alerts, over any sequence of changes", () => {
  it("warning open exactly at ≥ 80 %, naming the ceiling and period in force; exhaustion with the current text", () => {
    fc.assert(
      fc.property(fc.array(Change, { minLength: 1, maxLength: 30 }), (changes) => {
        let b: ProductBudget = saved(budget());
        const live: { warning?: string; exhausted?: string } = {};
        for (const c of changes) {
          const next = apply(b, c);
          const steps = budgetAlertSteps(b, next);
          if (steps.warning === "clear") live.warning = undefined;
          else if (steps.warning) live.warning = steps.warning.raise;
          if (steps.exhausted === "clear") live.exhausted = undefined;
          else if (steps.exhausted) live.exhausted = steps.exhausted.raise;
          b = next;
          expect(live.warning !== undefined).toBe(warns(b));
          if (live.warning) {
            expect(live.warning).toMatch(new RegExp(` this ${b.period} \\(≥ 80 %\\) when this alert was raised;`));
            const ceilingText = /of \$([\d.]+) this/.exec(live.warning)?.[1];
            expect(Math.abs(Number(ceilingText) - b.ceilingUsd)).toBeLessThanOrEqual(b.ceilingUsd * 0.05);
          }
          // The spend it names is of the moment it was raised (each charge would rewrite it): the rest is current.
          const noSpend = (t: string | undefined) => t?.replace(/ \(\S+ spent when raised\)/, "");
          expect(noSpend(live.exhausted)).toBe(noSpend(exhaustedText(b)));
          expect(live.exhausted !== undefined).toBe(Boolean(b.exhausted || b.overrun));
        }
      }),
    );
  });

  it("says running jobs were stopped only while the exhaustion pause is in force under stop", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("pause" as const, "stop" as const),
        (overrun, operator, onExhausted) => {
          const b = saved(
            budget({
              spentUsd: 2,
              onExhausted,
              ...(overrun ? { overrun } : {}),
              ...(operator ? { pausedBy: "operator" } : {}),
            }),
          );
          const text = exhaustedText(b) ?? "";
          expect(text.includes("running jobs stopped")).toBe(Boolean(b.exhausted) && onExhausted === "stop");
          if (b.overrun && operator) expect(text).toContain("dispatch paused by an operator, running jobs finish");
        },
      ),
    );
  });
});

describe("the texts", () => {
  // Later spend does not rewrite the warning (that would be a write per run's cost): its text says the figure is of
  // the moment it was raised — "spent $0.09 of $0.02" read as the spend now while it grew — and where the spend now is.
  it("the warning's spend is said to be of the moment it was raised, with where to read it now", () => {
    const text = warningText(budget({ ceilingUsd: 0.02, spentUsd: 0.09 })) ?? "";
    expect(text).toMatch(/^spent \$0\.09 of \$0\.02 this month \(≥ 80 %\) when this alert was raised;/);
    expect(text).toContain("`gigafactory budget` shows the spend now");
  });

  it("name a sub-cent ceiling as the budget views do, and say nothing under their conditions", () => {
    expect(
      exhaustedText(saved(budget({ period: "day", ceilingUsd: 0.035, spentUsd: 0.036, onExhausted: "pause" }))),
    ).toBe(
      "budget of $0.035 per day exhausted ($0.036 spent when raised): dispatch paused — it lifts when the day ends at " +
        "2026-12-02T00:00:00Z; `gigafactory budget set day CEILING_USD` raises the ceiling, `gigafactory budget resume` " +
        "runs on over it",
    );
    expect(warningText(budget({ ceilingUsd: 10, spentUsd: 7.99 }))).toBeUndefined();
    expect(warningText(budget({ ceilingUsd: 10, spentUsd: 8 }))).toBe(
      "spent $8.00 of $10.00 this month (≥ 80 %) when this alert was raised; `gigafactory budget` shows the spend now",
    );
    expect(exhaustedText(saved(budget({ spentUsd: 0.99 })))).toBeUndefined();
  });

  // Exhaustion under an operator's pause: one resume lifts the operator's only. The alert said "`gigafactory budget
  // resume` runs on over it", and that resume left dispatch paused by exhaustion.
  it("under an operator's pause, says one resume lifts only the operator's, and is rewritten when that pause ends", () => {
    const spent = { period: "day" as const, ceilingUsd: 2, spentUsd: 2.05, onExhausted: "pause" as const };
    const both = saved(budget({ ...spent, pausedBy: "operator" }));
    expect(exhaustedText(both)).toBe(
      "budget of $2.00 per day exhausted ($2.05 spent when raised): dispatch paused, and paused by an operator too — " +
        "`gigafactory budget resume` lifts the operator's pause only: the budget is spent too, and exhaustion's pause " +
        "stays — it lifts when the day ends at 2026-12-02T00:00:00Z; `gigafactory budget set day CEILING_USD` raises " +
        "the ceiling, `gigafactory budget resume` runs on over it",
    );
    // Resumed: exhaustion's pause alone, said as ever (a rewrite of the open alert: no webhook, acknowledgement kept).
    const alone = saved(budget(spent));
    const step = budgetAlertSteps(both, alone).exhausted;
    expect(step).toEqual({ raise: exhaustedText(alone) });
    expect(exhaustedText(alone)).not.toContain("operator");
    expect(budgetAlertSteps(alone, both).exhausted).toEqual({ raise: exhaustedText(both) });
  });
});
