// A spend against its ceiling reads the same wherever it is shown: the `budget_paused` waiting reason
// (core/budget-pause), `gigafactory budget`'s spent line, and the dashboard's Budget page and waiting panel — one
// formatter of the pair (core/usd-text `spendTexts`, dashboard/usd.js its copy). `budget` shared the pair's decimals
// with the warning level and the burndown points, so one sub-cent point made "$12.35 of $20.00" in the waiting text
// read "$12.3456 of $20.00" in `budget`; the dashboard's waiting panel drew each alone, so a spend of $10.004 on a
// $10 ceiling read "spent $10.004 of $10.00" in the message and "$10.00" / "$10.00" in its rows.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { spendTexts as dashboardSpend } from "../../dashboard/usd.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { detailRows } from "../../dashboard/waiting.js";
import { formatBudget, type ShownBudget } from "../../src/cli/commands/budget-format.ts";
import { budgetPausedWords } from "../../src/core/budget-pause.ts";
import { spendTexts } from "../../src/core/usd-text.ts";

const DAY_END = Date.UTC(2026, 11, 8);

/** A budget as `gigafactory budget` reads it, exhausted, with `points` as its burndown. */
function budget(spentUsd: number, ceilingUsd: number, warnAtUsd: number, points: number[]): ShownBudget {
  return {
    period: "day",
    ceilingUsd,
    warnAtUsd,
    onExhausted: "pause",
    spentUsd,
    state: "paused",
    pausedBy: "exhausted",
    periodStart: DAY_END - 86_400_000,
    periodEnd: DAY_END,
    burndown: points.map((p, i) => ({ at: DAY_END - 3_600_000 * (points.length - i), spentUsd: p })),
  } as ShownBudget;
}

const CASES: Array<[number, number, number, number[]]> = [
  [12.3456, 12, 9.6, [0.0012, 12.3456]],
  [0.0375, 0.03, 0.024, [0.0012, 0.0375]],
  [10.004, 10, 8, [10.004]],
];

/** The spend and ceiling the `budget_paused` waiting reason names, as it words them. */
function waitingSpend(spent: number, ceiling: number): string[] {
  const pause = { pausedBy: "exhausted" as const, spentUsd: spent, ceilingUsd: ceiling, period: "day" as const };
  const { message } = budgetPausedWords({ ...pause, periodEnd: DAY_END, exhausted: true });
  return /\((\S+) of (\S+) per day\)/.exec(message)?.slice(1) ?? [];
}

describe("a spend against its ceiling, one text everywhere", () => {
  it.each(CASES)("spent %s of %s: the waiting reason's words are `budget`'s", (spent, ceiling, warnAt, points) => {
    const shown = /spent\s+(\S+) of (\S+) \(/.exec(formatBudget(budget(spent, ceiling, warnAt, points)))?.slice(1);
    expect(shown).toEqual(waitingSpend(spent, ceiling));
  });

  it.each(CASES)("spent %s of %s: the dashboard's waiting panel draws the message's amounts", (spent, ceiling) => {
    const reason = { code: "budget_paused", detail: { pausedBy: "exhausted", spentUsd: spent, ceilingUsd: ceiling } };
    const rows = Object.fromEntries(detailRows(reason).map(([k, , text]: string[]) => [k, text]));
    expect([rows.spentUsd, rows.ceilingUsd]).toEqual(waitingSpend(spent, ceiling));
  });

  it.each(CASES)("spent %s of %s: the dashboard's copy of the pair rule is the core's", (spent, ceiling) => {
    expect(dashboardSpend(spent, ceiling)).toEqual(spendTexts(spent, ceiling));
    expect(spendTexts(spent, ceiling)).toEqual(waitingSpend(spent, ceiling));
  });
});
