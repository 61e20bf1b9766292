/**
 * @module durable-objects/coordinator/policies/spend-prune
 * FORGET A SETTLED JOB'S SPEND ROWS — contract, the retention pass's share of `run_spend`, `run_unpriced` and
 * `run_estimate` (runtime/schema-policies), called from jobs/retention `pruneRows` in its unit:
 *   inputs: the pass's cut-offs (core/retention; `feedsSettledBefore`), the watermark `retention_spend_through` in
 *           `meta` ([updatedAt, id] of the last job looked at), `tx.now` not needed: the cut-off carries the time.
 *   why:    a row per run in each table for good: a product running 10,000 jobs a day grew them without bound.
 *   what reads them, and for how long: the budget keeps its own sums (policies/budget), so its answer reads none; a
 *           report's charge reads its run's marks (policies/run-spend in the lease, policies/late-spend for a fenced
 *           one) so that a resent report charges only its increase, and its period's `counted` (core/unpriced
 *           `periodShare`, core/price-estimate `estimateShare`); a job's budget reads its earlier runs' (a retried or
 *           requeued job); the runs list (`GET …/jobs/{id}/runs`, the CLI's and dashboard's job spend) reads them
 *           as each run's `spend`.
 *   guard:  only jobs shipped or cancelled before the cut-off (core/retention `spendForgotten`): they never run
 *           again, and late-spend charges their runs nothing from then on — their marks gone, a resent report would
 *           charge a run again whole. A `dead_letter` job keeps its rows (an operator's requeue counts them against
 *           its budget); a job still running, or settled since the cut-off, is not reached.
 *   output: each run's `spend` (as jobs/runs `listRuns` answers it) written into its stored doc, so the runs list
 *           answers the same, then the job's rows deleted; the watermark moved past the jobs looked at. Bounded:
 *           SPEND_JOBS_PER_PASS jobs a pass, through the `jobs_settled` index, each job's rows by primary-key
 *           prefix (no scan, no index of its own needed). Idempotent: a job behind the watermark never changes stage
 *           again (a requeued `dead_letter` job ends terminal with a later `updatedAt`, ahead of it).
 */

import { type RetentionCutoffs, spendForgotten } from "../../../core/retention.ts";
import { execute } from "../../sql-statements.ts";
import { listRuns } from "../jobs/runs.ts";
import { settledAfter, settledThrough } from "../jobs/settled-walk.ts";
import type { Tx } from "../runtime/tx.ts";

/** Jobs looked at per pass: each costs a runs read and three keyed deletes; 200 a minute is 288,000 a day. */
export const SPEND_JOBS_PER_PASS = 200;

const WATERMARK_KEY = "retention_spend_through";
const TABLES = ["run_spend", "run_unpriced", "run_estimate"] as const;

/**
 * Forgets the spend rows of up to `limit` jobs settled before the cut-off, oldest first (see the contract above).
 * @returns how many runs' rows were deleted (a run counted once, whichever of its tables held rows)
 */
export function pruneSpend(tx: Tx, cut: RetentionCutoffs, limit = SPEND_JOBS_PER_PASS): number {
  const due = settledAfter(tx, WATERMARK_KEY, cut.feedsSettledBefore, limit);
  let runs = 0;
  for (const job of due) {
    if (spendForgotten({ stage: job.stage, updatedAt: job.at }, cut)) runs += forgetJobSpend(tx, job.id);
  }
  settledThrough(tx, WATERMARK_KEY, due.at(-1));
  return runs;
}

/** Job `jobId`'s runs' `spend` folded into their docs, then its rows deleted. @returns runs whose rows went */
function forgetJobSpend(tx: Tx, jobId: string): number {
  let runs = 0;
  for (const run of listRuns(tx.sql, jobId)) {
    if (!run.spend) continue;
    runs++;
    // The runs list answers the doc as it is once no row joins it: with `spend` in it, the same answer.
    execute(
      tx.sql,
      "UPDATE runs SET doc = ? WHERE job_id = ? AND lease_epoch = ?",
      JSON.stringify(run),
      jobId,
      run.leaseEpoch,
    );
  }
  for (const table of TABLES) execute(tx.sql, `DELETE FROM ${table} WHERE job_id = ?`, jobId);
  return runs;
}
