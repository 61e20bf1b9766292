/**
 * @module core/price-estimate
 * A run's charge when some of its tokens are priced by the operator's table (core/prices) rather than by its engine,
 * as a pure rule: how the estimate is charged and how the engine's own USD replaces it. Follows the accrual model of
 * core/run-accrual: every report is cumulative and a run's charge is a high-water mark, so a charge is never taken
 * back. A run's charge is its reported USD (its `run_spend` mark) plus an estimated part on top (`run_estimate`):
 *   charged = max(charged so far, reported USD + estimate of the tokens still unpriced)
 *   estimated part = charged − reported USD (≥ 0)
 * So when a Claude run's `result` brings its USD, that USD takes the estimate's place: the budget is charged only
 * what the USD adds over the estimate already charged (never both), and when the USD is below the estimate the
 * difference stays charged, as an estimate — the budget never falls (core/budget `spend` only adds; a stop it set off
 * stays explained). A resumed run's report holds its earlier engine's tokens too (core/unpriced `unpricedOf`'s
 * `base`): the same run's mark, so they are in the same high-water and are never charged twice. Money in USD, every
 * sum in whole micro-dollars (core/budget `toMicros`).
 */
import { fromMicros, toMicros } from "./budget.ts";
import { periodShare } from "./unpriced.ts";

/** What a run has been charged so far: its engines' reported USD (high-water) and the estimated part on top, USD. */
export interface RunCharge {
  reportedUsd: number;
  estimatedUsd: number;
}

/**
 * The run's charge after one report.
 * @param before what the run was charged before it (`estimatedUsd` 0 for a run never estimated)
 * @param after the run's reported USD mark after the report (≥ `before.reportedUsd`: core/run-accrual `accrue`) and
 *   `estimateUsd`, what its tokens still unpriced cost at the table now (core/prices `estimateUsd`; 0: no price, or
 *   none unpriced)
 * @returns the run's new charge and `deltaUsd` (≥ 0), all the budgets are to be charged for the report — its reported
 *   USD's increase included, so a caller charges this in place of `accrue`'s `deltaUsd`
 */
export function chargeRun(
  before: RunCharge,
  after: { reportedUsd: number; estimateUsd: number },
): { charge: RunCharge; deltaUsd: number } {
  const was = toMicros(before.reportedUsd) + toMicros(before.estimatedUsd);
  const reported = Math.max(toMicros(after.reportedUsd), toMicros(before.reportedUsd));
  const total = Math.max(was, reported + toMicros(after.estimateUsd));
  return {
    charge: { reportedUsd: fromMicros(reported), estimatedUsd: fromMicros(total - reported) },
    deltaUsd: fromMicros(total - was),
  };
}

/** A period's estimated USD changed by `deltaUsd` (a run's estimated part's change), kept within 0…`spentUsd`. */
export function addEstimated(sum: number | undefined, deltaUsd: number, spentUsd: number): number {
  // A run estimated in an earlier period and priced in this one would take this period's part below zero.
  return fromMicros(Math.min(Math.max(0, toMicros(sum ?? 0) + toMicros(deltaUsd)), toMicros(spentUsd)));
}

/**
 * What a run's estimated part's change `deltaUsd` does to the current budget period's `estimatedUsd`, given
 * `countedUsd`: how much of the run's estimate that period holds (0 for a run estimated only in an earlier period, or
 * while no budget was set). core/unpriced `periodShare`'s rule, in whole micro-dollars: a rise counts whole, a fall
 * takes off at most what this period counted of the run — a run estimated before midnight whose USD came after it
 * took the new period's other runs' estimates off its `estimatedUsd` (the clamp at 0 only hid it).
 * @returns `appliedUsd`, the period's change, and `countedUsd`, this period's count of the run after it (≥ 0), USD
 */
export function estimateShare(deltaUsd: number, countedUsd: number): { appliedUsd: number; countedUsd: number } {
  const share = periodShare(toMicros(deltaUsd), toMicros(countedUsd));
  return { appliedUsd: fromMicros(share.applied), countedUsd: fromMicros(share.counted) };
}

/** What the budget's estimate line says after its label, e.g. "$1.50 of the spend (…)", given the amount as text. */
export function estimatedWords(usdText: string): string {
  return `${usdText} of the spend (unpriced tokens at settings prices, until the engine reports USD)`;
}
