// `gigafactory budget` prints what to do next on a `next` line (core/budget-pause `budgetNextStep`), true in every
// case: exhaustion's pause — the period's end (UTC, to the second), a higher ceiling (`budget set PERIOD
// CEILING_USD`) or a resume over it; an operator's pause alone — the resume; both (the view's `exhausted` beside
// `pausedBy: operator`) — the resume lifts the operator's pause only and exhaustion's stays, with what lifts that
// (it said "`budget resume` lifts the pause" of $2.05 spent of $2.00, and the resume left the budget paused); an
// operator's pause over an overrun — the resume, and that dispatch then runs on over the ceiling until when; an
// overrun — until when, and the pause that stops it. An older coordinator's view (no `exhausted`) over the ceiling
// is not guessed at. Nothing paused under the ceiling: no `next` line.
import { describe, expect, it } from "vitest";
import type { ShownBudget as BudgetView } from "../../src/cli/commands/budget-format.ts";
import { formatBudget } from "../../src/cli/commands/budget-format.ts";

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
  exhausted: true,
  burndown: [],
  ...over,
});
const nextOf = (b: BudgetView) => /\n\s*next\s+(.*)\n/.exec(formatBudget(b))?.[1];
const LIFTS =
  "it lifts when the day ends at 2026-12-07T00:00:00Z; `gigafactory budget set day CEILING_USD` raises the ceiling, `gigafactory budget resume` runs on over it";
const RUNS_ON =
  "until the day ends at 2026-12-07T00:00:00Z or `gigafactory budget set day CEILING_USD` raises the ceiling above the spend";

describe("budget's next step", () => {
  it("paused by exhaustion: the period's end, a higher ceiling, or a resume over it", () => {
    expect(nextOf(view({ pausedBy: "exhausted" }))).toBe(LIFTS);
  });

  it("paused by an operator alone, under the ceiling: the resume lifts the pause", () => {
    expect(nextOf(view({ pausedBy: "operator", exhausted: false, spentUsd: 1.2 }))).toBe(
      "`gigafactory budget resume` lifts the pause",
    );
  });

  it("paused by an operator over an exhausted budget: the resume lifts the operator's pause only", () => {
    expect(nextOf(view({ pausedBy: "operator", exhausted: true }))).toBe(
      `\`gigafactory budget resume\` lifts the operator's pause only: the budget is spent too, and exhaustion's pause stays — ${LIFTS}`,
    );
  });

  it("paused by an operator over an overrun: the resume, then dispatch runs on over the ceiling", () => {
    expect(nextOf(view({ pausedBy: "operator", exhausted: false }))).toBe(
      `\`gigafactory budget resume\` lifts the pause; dispatch then runs on over the ceiling ${RUNS_ON}`,
    );
  });

  it("overrun: until when dispatch runs over the ceiling, and what stops it; nothing paused under it: no next line", () => {
    expect(nextOf(view({ state: "overrun", exhausted: false }))).toBe(
      `dispatch runs on over the ceiling ${RUNS_ON}; \`gigafactory budget pause\` stops it`,
    );
    expect(formatBudget(view({ state: "warning", exhausted: false, spentUsd: 1.7 }))).not.toMatch(/\n\s*next\s/);
  });

  it("an older coordinator's view with no `exhausted`, over the ceiling: the operator's pause, and no guess", () => {
    const { exhausted: _, ...older } = view({ pausedBy: "operator" });
    expect(nextOf(older as BudgetView)).toBe(
      "`gigafactory budget resume` lifts the operator's pause; over the ceiling, exhaustion may still pause dispatch — `gigafactory budget` then says",
    );
  });
});
