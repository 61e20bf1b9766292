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
 *   output: the run's figure in `run_unpriced` (no row: 0), and the budget period's sum changed by as much
 *           (policies/budget `countUnpriced`: no alert, pause or stop follows from it).
 */
import { accrueUnpriced } from "../../../core/unpriced.ts";
import { execute } from "../../sql-statements.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { countUnpriced } from "./budget.ts";

/** A run's unpriced tokens as counted so far (`run_unpriced`), 0 when it had none. */
export function runUnpriced(sql: SqlStorage, jobId: string, leaseEpoch: number): number {
  const row = one<{ tokens: number }>(
    sql,
    "SELECT tokens FROM run_unpriced WHERE job_id = ? AND lease_epoch = ?",
    jobId,
    leaseEpoch,
  );
  return row?.tokens ?? 0;
}

/**
 * Count a report's unpriced tokens for run `jobId` × `leaseEpoch` (see the contract above).
 * @param before the run's mark before the report (USD as stored, in whole micro-dollars; tokens in + out)
 * @param reported the report's USD (as `runMark` stores it), tokens (in + out) and unpriced tokens
 */
export function countReportUnpriced(
  tx: Tx,
  jobId: string,
  leaseEpoch: number,
  before: { costUsd: number; tokens: number },
  reported: { costUsd: number; tokens: number; unpricedTokens?: number },
): void {
  const seen = runUnpriced(tx.sql, jobId, leaseEpoch);
  if ((reported.unpricedTokens ?? 0) <= 0 && seen === 0) return; // most runs: priced, never unpriced — no write
  const { unpricedTokens, delta } = accrueUnpriced({ ...before, unpricedTokens: seen }, reported);
  if (delta === 0) return;
  if (unpricedTokens > 0) {
    execute(
      tx.sql,
      "INSERT OR REPLACE INTO run_unpriced(job_id, lease_epoch, tokens) VALUES (?, ?, ?)",
      jobId,
      leaseEpoch,
      unpricedTokens,
    );
  } else execute(tx.sql, "DELETE FROM run_unpriced WHERE job_id = ? AND lease_epoch = ?", jobId, leaseEpoch);
  countUnpriced(tx, delta);
}
