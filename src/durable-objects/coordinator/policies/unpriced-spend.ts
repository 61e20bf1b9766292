/**
 * @module durable-objects/coordinator/policies/unpriced-spend
 * COUNT A REPORT'S UNPRICED TOKENS — contract, called with every charge of a run report (policies/run-spend in the
 * lease, policies/late-spend for a fenced one), in the charge's unit:
 *   inputs: the run (job × lease epoch), its high-water mark before the report (`run_spend`), the report's USD, tokens
 *           (in + out) and `unpricedTokens` (agent/insights: the tokens its engine gave no USD for — all of a Codex
 *           run's, a Claude run's until its `result`; absent from an older agent: 0).
 *   why:    such tokens are charged $0: a product running Codex had no USD budget in effect, and nothing said so.
 *           No price is made up (prices are the owner's); the tokens are counted and shown, never charged.
 *   guard:  called only for a report that moved the run's mark — a resent or an older report, or a stale epoch's that
 *           late-spend does not accept, counts nothing, exactly as its spend counts nothing. The run's figure follows
 *           core/unpriced `accrueUnpriced` (it falls when the USD comes: a Claude run's result prices its tally).
 *   output: the run's figure in `run_unpriced` (no row: 0) with how many of them the current period counted, and
 *           the budget period's sum changed by core/unpriced `periodShare` — a fall takes off only this period's
 *           count of the run (policies/budget `countUnpriced`: no alert, pause or stop follows from it). The
 *           run's figure after the report is answered, for its estimate at the operator's prices (policies/estimate-
 *           spend): what charges those tokens, when their engine has a price.
 */
import { accrueUnpriced, periodShare } from "../../../core/unpriced.ts";
import { execute } from "../../sql-statements.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { countUnpriced, currentBudget } from "./budget.ts";

/** A run's `run_unpriced` row: its unpriced tokens, and how many the period starting `periodStart` (ms) counted. */
type UnpricedRow = {
  tokens: number;
  periodStart: number;
  counted: number;
};

function unpricedRow(sql: SqlStorage, jobId: string, leaseEpoch: number): UnpricedRow | undefined {
  return one<UnpricedRow>(
    sql,
    "SELECT tokens, period_start AS periodStart, counted FROM run_unpriced WHERE job_id = ? AND lease_epoch = ?",
    jobId,
    leaseEpoch,
  );
}

/** A run's unpriced tokens as counted so far (`run_unpriced`), 0 when it had none. */
export function runUnpriced(sql: SqlStorage, jobId: string, leaseEpoch: number): number {
  return unpricedRow(sql, jobId, leaseEpoch)?.tokens ?? 0;
}

/**
 * Count a report's unpriced tokens for run `jobId` × `leaseEpoch` (see the contract above). The period's sum changes
 * by core/unpriced `periodShare`: a fall takes off only what the current period counted of this run.
 * @param before the run's mark before the report (USD as stored, in whole micro-dollars; tokens in + out)
 * @param reported the report's USD (as `runMark` stores it), tokens (in + out) and unpriced tokens
 * @returns the run's unpriced tokens after the report, or undefined for a run that never had any (no row, none now)
 */
export function countReportUnpriced(
  tx: Tx,
  jobId: string,
  leaseEpoch: number,
  before: { costUsd: number; tokens: number },
  reported: { costUsd: number; tokens: number; unpricedTokens?: number },
): number | undefined {
  const row = unpricedRow(tx.sql, jobId, leaseEpoch);
  const seen = row?.tokens ?? 0;
  if ((reported.unpricedTokens ?? 0) <= 0 && seen === 0) return undefined; // most runs: priced, never unpriced
  const { unpricedTokens, delta } = accrueUnpriced({ ...before, unpricedTokens: seen }, reported);
  if (delta === 0) return unpricedTokens;
  // No budget: nothing is counted, so a later pricing takes nothing off a budget set meanwhile.
  const periodStart = currentBudget(tx)?.periodStart;
  const here = periodStart !== undefined && row?.periodStart === periodStart ? row.counted : 0;
  const share = periodStart === undefined ? { applied: 0, counted: 0 } : periodShare(delta, here);
  if (unpricedTokens > 0) {
    execute(
      tx.sql,
      "INSERT OR REPLACE INTO run_unpriced(job_id, lease_epoch, tokens, period_start, counted) VALUES (?, ?, ?, ?, ?)",
      jobId,
      leaseEpoch,
      unpricedTokens,
      periodStart ?? 0,
      share.counted,
    );
  } else execute(tx.sql, "DELETE FROM run_unpriced WHERE job_id = ? AND lease_epoch = ?", jobId, leaseEpoch);
  countUnpriced(tx, share.applied);
  return unpricedTokens;
}
