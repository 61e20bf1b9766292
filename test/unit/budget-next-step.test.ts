// `gigafactory budget` in state `paused (by exhaustion)` prints what lifts the pause on a `next` line — the period's
// end (UTC, to the second), a higher ceiling (`budget set PERIOD CEILING_USD`) or a resume over it — and `paused (by
// an operator)` names the resume; it printed no step. Nothing paused: no `next` line.
import { describe, expect, it } from "vitest";
import { formatBudget } from "../../src/cli/commands/budget.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";

const START = Date.UTC(2026, 11, 6);
const view = (over: Partial<BudgetView>): BudgetView => ({
  period: "day",
  ceilingUsd: 2,
  spentUsd: 2.05,
  state: "paused",
  periodStart: START,
  periodEnd: START + 86_400_000,
  onExhausted: "stop",
  warnAtUsd: 1.6,
  burndown: [],
  ...over,
});

describe("budget's next step", () => {
  it("paused by exhaustion: the period's end, a higher ceiling, or a resume over it", () => {
    expect(formatBudget(view({ pausedBy: "exhausted" }))).toMatch(
      /\n\s*next\s+it lifts when the day ends at 2026-12-07T00:00:00Z; `gigafactory budget set day CEILING_USD` raises the ceiling, `gigafactory budget resume` runs on over it\n/,
    );
  });

  it("paused by an operator: the resume; not paused: no next line", () => {
    expect(formatBudget(view({ pausedBy: "operator" }))).toMatch(
      /\n\s*next\s+`gigafactory budget resume` lifts the pause\n/,
    );
    expect(formatBudget(view({ state: "overrun" }))).not.toMatch(/\n\s*next\s/);
  });
});
