/**
 * @module core/budget-alerts
 * What the product budget's two alerts say, and when a change of the budget raises, rewrites or clears them (issue
 * 9, part 1; applied by coordinator/policies/budget in the unit of the change). Pure: budgets in, texts out.
 *
 * `budget_warning` — open while the spend is ≥ 80 % of the ceiling. Its text is the spend when it was raised ("spent
 * $8.50 of $10.00 this month (≥ 80 %) when this alert was raised; …"), and says so: later spend does not rewrite it
 * (that would be a write per run's cost), and "spent $0.09 of $0.02" read as the spend now while it grew. A new
 * ceiling or period does rewrite it: the alert then names the rule in force (a $9 weekly budget read "of $10.00 this
 * month" for the rest of the period).
 * `budget_exhausted` — open while the spend is at or over the ceiling and either exhaustion pauses dispatch or an
 * operator chose to run over it (`overrun`); its text says which (and whether an operator paused it too: one resume then lifts only that pause), and is rewritten whenever that changes. "Running
 * jobs stopped" only while the exhaustion pause itself is in force under `onExhausted: stop` (its start stopped
 * them); an overrun an operator pauses again stops nothing, its running jobs finish.
 * Amounts as every budget view shows them (core/usd-text `usdTexts`): a $0.035 ceiling is "$0.035", not "$0.04".
 */
import { nextPeriodStart, type ProductBudget, WARN_FRACTION, warns } from "./budget.ts";
import { bothPausedFix, exhaustedFix } from "./budget-pause.ts";
import { spendTexts, usdTexts } from "./usd-text.ts";

/** What one budget change does to one alert: raise (open, or rewrite an open one's text) with `message`, or clear. */
export type BudgetAlertStep = { raise: string } | "clear" | undefined;

type Said = Pick<
  ProductBudget,
  "period" | "periodStart" | "ceilingUsd" | "spentUsd" | "onExhausted" | "pausedBy" | "exhausted" | "overrun"
>;

/**
 * The warning's text for `b` (undefined under 80 %): its spend against its ceiling, in its period, as of now — the
 * moment the alert is raised — and where to read the spend later.
 */
export function warningText(b: Said): string | undefined {
  if (!warns(b)) return undefined;
  const spent = `spent ${spendTexts(b.spentUsd, b.ceilingUsd).join(" of ")} this ${b.period}`;
  return `${spent} (≥ ${WARN_FRACTION * 100} %) when this alert was raised; \`gigafactory budget\` shows the spend now`;
}

/**
 * The exhaustion alert's text for `b` (a budget as saved: `exhausted` recomputed), or undefined when it has none:
 * paused by exhaustion (and what `onExhausted` did; with `spend`, the spend when raised and what lifts the pause —
 * the period's end, a higher ceiling, a resume), running over the ceiling by an operator's resume, or such an
 * overrun paused again by an operator.
 */
export function exhaustedText(b: Said, spend = true): string | undefined {
  if (!b.exhausted && !b.overrun) return undefined;
  const what = `budget of ${usdTexts([b.ceilingUsd])[0]} per ${b.period} exhausted`;
  if (b.exhausted) {
    // The spend when raised (as the warning says it: later spend does not rewrite it) and what lifts the pause.
    const [spent] = spendTexts(b.spentUsd, b.ceilingUsd);
    const end = { period: b.period, periodEnd: nextPeriodStart(b.period, b.periodStart) };
    // Under an operator's pause too, one resume lifts only the operator's: said so, and in the compared text, so
    // the alert is rewritten when that pause begins or ends (a refresh: no webhook, an acknowledgement kept).
    const operator = b.pausedBy === "operator";
    const fix = operator ? bothPausedFix(end) : exhaustedFix(end);
    const stopped = b.onExhausted === "stop" ? ", running jobs stopped" : "";
    const paused = `dispatch paused${stopped}${operator ? ", and paused by an operator too" : ""}`;
    return spend ? `${what} (${spent} spent when raised): ${paused} — ${fix}` : `${what}: ${paused}`;
  }
  if (b.pausedBy === "operator") {
    return `${what}: dispatch paused by an operator, running jobs finish; resumed, it goes on over the ceiling until the period ends`;
  }
  return `${what}: dispatch continues over the ceiling by an operator's resume until the period ends`;
}

/**
 * What the change from `before` (undefined: no budget was set) to `after` does to each alert. The warning is
 * raised when the spend crosses 80 % and rewritten when the ceiling or period changes while it holds; the
 * exhaustion alert is raised whenever its text changes; each is cleared when its condition ends.
 */
export function budgetAlertSteps(
  before: Said | undefined,
  after: Said,
): { warning: BudgetAlertStep; exhausted: BudgetAlertStep } {
  // Booleans first: the warning's text is built only when it is raised (this runs on every spend).
  const warned = before !== undefined && warns(before);
  const ruled = before !== undefined && (before.ceilingUsd !== after.ceilingUsd || before.period !== after.period);
  let warning: BudgetAlertStep;
  if (!warns(after)) warning = warned ? "clear" : undefined;
  else if (!warned || ruled) warning = { raise: warningText(after) ?? "" };
  // Compared without the spend (each report's charge would rewrite it), raised with it.
  const was = before ? exhaustedText(before, false) : undefined;
  const is = exhaustedText(after, false);
  let exhausted: BudgetAlertStep;
  if (!is) exhausted = was ? "clear" : undefined;
  else if (is !== was) exhausted = { raise: exhaustedText(after) ?? is };
  return { warning, exhausted };
}
