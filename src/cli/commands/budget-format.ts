/**
 * @module cli/commands/budget-format
 * How `gigafactory budget` prints a budget: period, spend against the ceiling, the tokens no USD came for and since
 * when the spend counts, state, what lifts a pause, the warning line, what exhaustion does and the latest burndown
 * points (cli/commands/budget runs it).
 */
import { toMicros } from "../../core/budget.ts";
import { budgetNextStep } from "../../core/budget-pause.ts";
import { spentSinceWords } from "../../core/budget-since.ts";
import { estimatedWords } from "../../core/price-estimate.ts";
import { unpricedWords } from "../../core/unpriced.ts";
import { spendTexts, usdTexts } from "../../core/usd-text.ts";
import type { BudgetView } from "../../shared/api-budget.ts";
import { flooredPercent } from "../number-text.ts";
import { formatInstant, renderFields } from "../table.ts";

/**
 * A budget as read: since when the spend counts, the unpriced tokens and the estimated part of the spend are absent
 * from older coordinators (cli/read-answers BudgetRead).
 */
type Newer = "spentSince" | "spentSinceCause" | "unpricedTokens" | "estimatedUsd";
export type ShownBudget = Omit<BudgetView, Newer> & Partial<Pick<BudgetView, Newer>>;

/** Burndown points shown in the readable view: the latest few say how fast money goes; --json has all. */
const SHOWN_POINTS = 5;

/**
 * The budget as aligned label/value lines, then the latest burndown points. Amounts read together share decimals
 * (core/usd-text): the spend and the ceiling as the waiting reason words them (`spendTexts`: a $0.03 budget reads
 * "spent $0.037 of $0.03", not "$0.04 of $0.03"), the warning level with the ceiling, the points with each other.
 */
export function formatBudget(b: ShownBudget): string {
  const latest = b.burndown.slice(-SHOWN_POINTS);
  const estimatedUsd = b.estimatedUsd ?? 0;
  const [spent, ceiling] = spendTexts(b.spentUsd, b.ceilingUsd);
  const [warnAt] = usdTexts([b.warnAtUsd, b.ceilingUsd]);
  const pointUsd = usdTexts(latest.map((p) => p.spentUsd));
  // The estimate is read beside the spend it is part of: the same decimals.
  const [, estimated] = usdTexts([b.spentUsd, estimatedUsd]);
  // Floored as the state is decided, but a spend above 0 never reads "0 %" (cli/number-text `flooredPercent`).
  const pct = flooredPercent(toMicros(b.spentUsd), toMicros(b.ceilingUsd));
  const state = b.pausedBy
    ? `${b.state} (by ${b.pausedBy === "operator" ? "an operator" : "exhaustion"})`
    : ((Object.hasOwn(OVERRUN, b.state) ? OVERRUN[b.state] : undefined) ?? b.state); // own keys: "constructor" is a state too
  const fields: Array<[string, string]> = [
    ["period", `${b.period} (UTC), ${formatInstant(b.periodStart)} → ${formatInstant(b.periodEnd)}`],
    ["spent", `${spent} of ${ceiling} (${pct} %)`],
    // Of the spend, what is an estimate at settings prices (core/price-estimate), until the engine reports USD.
    ...(estimatedUsd > 0 ? [["estimated", estimatedWords(estimated ?? "")] as [string, string]] : []),
    // Tokens no USD came for (core/unpriced): said beside the spend, in it only as that estimate.
    ...(b.unpricedTokens ? [["unpriced", unpricedWords(b.unpricedTokens, estimatedUsd > 0)] as [string, string]] : []),
    ...sinceLine(b),
    ["state", state],
    ...nextStep(b),
    ["warns at", warnAt ?? ""],
    [
      "onExhausted",
      b.onExhausted === "stop" ? "stop (running jobs stopped, checkpoint kept)" : "pause (running jobs finish)",
    ],
  ];
  const points = latest.map((p, i) => `  ${formatInstant(p.at)}  ${pointUsd[i]}`);
  return [renderFields(fields), "", `burndown (last ${points.length} of ${b.burndown.length})`, ...points].join("\n");
}

/** Since when the spend counts (core/budget-since), e.g. `since 2026-12-07T00:00:00Z (period start)`; none from an
 * older coordinator that does not say. */
function sinceLine(b: ShownBudget): Array<[string, string]> {
  const { spentSince, spentSinceCause, changedAt } = b;
  if (spentSince === undefined || spentSinceCause === undefined) return [];
  return [
    ["counted", spentSinceWords({ spentSince, spentSinceCause, ...(changedAt === undefined ? {} : { changedAt }) })],
  ];
}

/**
 * What lifts a pause, or ends an overrun, as a `next` line (core/budget-pause `budgetNextStep`): exhaustion's pause by
 * the period's end, a higher ceiling or a resume over it (as the waiting job and the alert say it); an operator's by
 * a resume — which, over an exhausted budget (`exhausted`), lifts the operator's pause only. None while nothing is
 * paused under the ceiling.
 */
function nextStep(b: ShownBudget): Array<[string, string]> {
  const step = budgetNextStep(b);
  return step === undefined ? [] : [["next", step]];
}

/**
 * The spend as a whole percentage of the ceiling, rounded DOWN in micro-dollars as the coordinator decides the state
 * (core/budget): rounded to nearest, $24.90 of $25.00 read "100 %" beside state `warning` (not exhausted) and
 * $19.90 read "80 %" beside `ok` and "warns at $20.00". Floored, the figure is ≥ 80 exactly when the state warns and
 * ≥ 100 exactly when the spend has reached the ceiling.
 */
export function percentOfCeiling(b: Pick<ShownBudget, "spentUsd" | "ceilingUsd">): number {
  const ceiling = toMicros(b.ceilingUsd);
  return ceiling > 0 ? Math.floor((toMicros(b.spentUsd) * 100) / ceiling) : 0;
}

/** The overrun state in words: over the ceiling, and why dispatch goes on. */
const OVERRUN: Record<string, string> = {
  overrun: "overrun (over the ceiling: an operator resumed dispatch until the period ends or the ceiling is raised)",
};
