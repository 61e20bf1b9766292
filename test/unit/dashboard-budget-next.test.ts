// The dashboard budget page's next step (dashboard/budget-next.js `budgetNextStep`), true in every case as the CLI's
// `next` line is (test/unit/budget-next-step): exhaustion's pause — the period's end (UTC), a higher ceiling or
// Resume over it; an operator's alone — Resume; both (`exhausted` beside `pausedBy: operator`) — Resume lifts the
// operator's pause only and exhaustion's stays (the page said only "paused (by an operator)", and a Resume left the
// budget paused); an operator's over an overrun — Resume, then dispatch runs on over the ceiling until when; an
// overrun — until when, and Pause; an older coordinator's answer with no `exhausted`, over the ceiling — no guess;
// nothing paused under the ceiling — nothing. Since when the spend counts (`spentSinceText`), as the CLI says it.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { budgetNextStep, spentSinceText } from "../../dashboard/budget-next.js";

const START = Date.UTC(2026, 11, 6);
const view = (over: Record<string, unknown>) => ({
  period: "day",
  ceilingUsd: 2,
  spentUsd: 2.05,
  state: "paused",
  periodEnd: START + 86_400_000,
  exhausted: true,
  ...over,
});
const LIFTS = "it lifts when the day ends at 2026-12-07T00:00Z, or with a higher ceiling; Resume runs on over it";
const RUNS_ON = "until the day ends at 2026-12-07T00:00Z or the ceiling is raised above the spend";

describe("the budget page's next step", () => {
  it("says what lifts each pause, and until when an overrun runs", () => {
    expect(budgetNextStep(view({ pausedBy: "exhausted" }))).toBe(`Paused because the budget is spent: ${LIFTS}.`);
    expect(budgetNextStep(view({ pausedBy: "operator", exhausted: false, spentUsd: 1.2 }))).toBe(
      "Resume lifts the pause.",
    );
    expect(budgetNextStep(view({ pausedBy: "operator" }))).toBe(
      `Resume lifts the operator's pause only: the budget is spent too, and exhaustion's pause stays — ${LIFTS}.`,
    );
    expect(budgetNextStep(view({ pausedBy: "operator", exhausted: false }))).toBe(
      `Resume lifts the pause; dispatch then runs on over the ceiling ${RUNS_ON}.`,
    );
    expect(budgetNextStep(view({ state: "overrun", exhausted: false }))).toBe(
      `Dispatch runs on over the ceiling ${RUNS_ON}; Pause stops it.`,
    );
  });

  // A viewer's page draws no Pause, Resume or Set budget (role.js): it named them anyway, buttons not on the page.
  it("tells a viewer to ask an operator, the step naming buttons a viewer does not have", () => {
    const ask = "Resume, Pause and Set budget are an operator's: ask an operator.";
    expect(budgetNextStep(view({ pausedBy: "exhausted" }), false)).toBe(
      `Paused because the budget is spent: ${LIFTS}. ${ask}`,
    );
    expect(budgetNextStep(view({ pausedBy: "operator", exhausted: false, spentUsd: 1.2 }), false)).toBe(
      `Resume lifts the pause. ${ask}`,
    );
    expect(budgetNextStep(view({ state: "overrun", exhausted: false }), false)).toMatch(
      /Pause stops it\. Resume, Pause/,
    );
    expect(budgetNextStep(view({ state: "warning", exhausted: false, spentUsd: 1.7 }), false)).toBe("");
    expect(budgetNextStep(view({ pausedBy: "exhausted" }), true)).not.toContain("ask an operator");
  });

  it("guesses nothing from an older answer, and says nothing while nothing is paused under the ceiling", () => {
    expect(budgetNextStep(view({ pausedBy: "operator", exhausted: undefined }))).toBe(
      "Resume lifts the operator's pause; over the ceiling, exhaustion may still pause dispatch.",
    );
    expect(budgetNextStep(view({ state: "warning", exhausted: false, spentUsd: 1.7 }))).toBe("");
  });
});

describe("since when the spend counts", () => {
  it("says the count's start and cause, a later change, and nothing from an older coordinator", () => {
    const at = Date.UTC(2026, 11, 7, 14, 5);
    expect(spentSinceText({ spentSince: Date.UTC(2026, 11, 7), spentSinceCause: "period_start" })).toBe(
      "counted since 2026-12-07T00:00:00Z (period start)",
    );
    expect(spentSinceText({ spentSince: at, spentSinceCause: "budget_set", changedAt: at + 3_600_000 })).toBe(
      "counted since 2026-12-07T14:05:00Z (budget set; runs before it are not counted); budget changed at " +
        "2026-12-07T15:05:00Z",
    );
    expect(spentSinceText({})).toBe("");
  });
});
