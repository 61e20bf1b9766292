/**
 * @module durable-objects/coordinator/policies/estimate-spend
 * CHARGE UNPRICED TOKENS AT THE OPERATOR'S PRICES — contract, called with every charge of a run report that moved the
 * run's mark (policies/run-spend in the lease, policies/late-spend for a fenced one), in the charge's unit:
 *   inputs: the run (job × lease epoch) and the engine its job asked (none: the factory's default, `*`); its charge
 *           before the report (`run_spend` mark and `run_estimate` part); its reported USD mark after it; the report's
 *           cumulative tokens in and out, and `baseTokens` (of tokens in, a resumed run's earlier engines', split
 *           unknown); its unpriced tokens after it (policies/unpriced-spend `countReportUnpriced`, undefined for a run
 *           that never had any); `accrue`'s `deltaUsd` for the report.
 *   why:    a Codex run (tokens only), or a Claude run before its `result`, was charged $0: no USD budget, product's
 *           or job's, stopped it. With a price for its engine in settings `prices` (core/prices), its unpriced tokens
 *           are charged as an estimate, until the engine's own USD replaces it (core/price-estimate `chargeRun`:
 *           a high-water mark — never charged twice, never taken back).
 *   guard:  no price for the engine and nothing estimated before: `accrue`'s delta, exactly as without this policy
 *           (and a run never unpriced reads nothing more: no settings read).
 *   output: the run's estimated part in `run_estimate` (USD, on top of its mark; jobs/runs `jobSpendMarks` sums
 *           both, so the job's own budget counts it), and what the budgets are to be charged: `deltaUsd` in place
 *           of `accrue`'s, `estimatedDeltaUsd` the change of the estimated part (negative when a USD replaced it),
 *           for policies/budget `spend` to keep the period's `estimatedUsd` — by core/price-estimate
 *           `estimateShare`: a fall takes off only what the current period counted of this run (its row's `counted`
 *           for `period_start`), so a run estimated before midnight and priced after it leaves the new period's
 *           other estimates in place.
 */
import { addUsd } from "../../../core/budget.ts";
import { chargeRun, estimateShare } from "../../../core/price-estimate.ts";
import { estimateUsd, priceOf } from "../../../core/prices.ts";
import type { RunSpend } from "../../../core/run-accrual.ts";
import { execute } from "../../sql-statements.ts";
import { storedPrices } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { currentBudget } from "./budget.ts";

/** What a report charges once its unpriced tokens are priced: USD in all, and the estimated part's change. */
export interface EstimatedCharge {
  /** USD to charge the product budget for the report (≥ 0): its reported USD's increase and the estimate's. */
  deltaUsd: number;
  /** USD the run's estimated part changed by (negative when the engine's USD took its place). */
  estimatedDeltaUsd: number;
  /** The run's estimated part after the report, USD. */
  estimatedUsd: number;
}

/** A run of `jobId` under `leaseEpoch`, asking `engine` (undefined: its factory's default). */
export interface EstimatedRun {
  jobId: string;
  leaseEpoch: number;
  engine: string | undefined;
}

/**
 * Price a report's unpriced tokens and fold the estimate into its charge (see the contract above).
 * @param before the run's mark and estimated part before the report (jobs/runs `runSpendMark`), USD
 * @param reportedUsd the run's reported USD mark after it (core/job-budget `runMark`), USD
 * @param tokens the report's cumulative tokens in and out, and of `tokensIn` the resumed run's earlier engines'
 *   (`baseTokens`, split unknown) — core/prices `estimateUsd` reads the split
 * @param unpriced the run's unpriced tokens after the report, undefined when it never had any
 * @param accruedUsd `accrue`'s `deltaUsd` for the report
 */
export function chargeEstimate(
  tx: Tx,
  run: EstimatedRun,
  before: RunSpend & { estimatedUsd: number },
  reportedUsd: number,
  tokens: { tokensIn?: number; tokensOut?: number; baseTokens?: number },
  unpriced: number | undefined,
  accruedUsd: number,
): EstimatedCharge {
  const unchanged = { deltaUsd: accruedUsd, estimatedDeltaUsd: 0, estimatedUsd: before.estimatedUsd };
  if (unpriced === undefined && before.estimatedUsd === 0) return unchanged; // most runs: priced by their engine
  // The stored table itself: no settings copy per report (most products set no price).
  const price = unpriced ? priceOf(storedPrices(tx.sql), run.engine) : undefined;
  const estimate = price && unpriced ? estimateUsd(unpriced, tokens, price) : 0;
  if (estimate === 0 && before.estimatedUsd === 0) return unchanged; // no price: unpriced, exactly as before
  const { charge, deltaUsd } = chargeRun(
    { reportedUsd: before.costUsd, estimatedUsd: before.estimatedUsd },
    { reportedUsd, estimateUsd: estimate },
  );
  const changeUsd = addUsd(charge.estimatedUsd, -before.estimatedUsd);
  const share = changeUsd === 0 ? { appliedUsd: 0 } : countEstimate(tx, run, charge.estimatedUsd, changeUsd);
  return { deltaUsd, estimatedDeltaUsd: share.appliedUsd, estimatedUsd: charge.estimatedUsd };
}

/**
 * Save the run's estimated part `usd` after a change of `changeUsd` (≠ 0), with what the current budget period
 * counted of it (core/price-estimate `estimateShare`). No budget: nothing counted, so a later USD takes nothing off a
 * budget set meanwhile. @returns `appliedUsd`, the period's `estimatedUsd` change, USD
 */
function countEstimate(tx: Tx, run: EstimatedRun, usd: number, changeUsd: number): { appliedUsd: number } {
  const row = one<{ periodStart: number; counted: number }>(
    tx.sql,
    "SELECT period_start AS periodStart, counted FROM run_estimate WHERE job_id = ? AND lease_epoch = ?",
    run.jobId,
    run.leaseEpoch,
  );
  const periodStart = currentBudget(tx)?.periodStart;
  const here = periodStart !== undefined && row?.periodStart === periodStart ? row.counted : 0;
  const share = periodStart === undefined ? { appliedUsd: 0, countedUsd: 0 } : estimateShare(changeUsd, here);
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO run_estimate(job_id, lease_epoch, usd, period_start, counted) VALUES (?, ?, ?, ?, ?)",
    run.jobId,
    run.leaseEpoch,
    usd,
    periodStart ?? 0,
    share.countedUsd,
  );
  return share;
}
