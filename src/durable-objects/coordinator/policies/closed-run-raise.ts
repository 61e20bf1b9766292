/**
 * @module durable-objects/coordinator/policies/closed-run-raise
 * A closed run raised to what it was charged after its close, with everything that counted it. A fenced report after
 * the close still charges the run (policies/late-spend); its stored insights rise to the run's new high-water mark —
 * cost and tokens (core/run-accrual `raisedToMark`) — and so does each figure derived from them at the close:
 *   - its D1 history row (history/write lets an ended run's cost and tokens rise, and only rise), with the run's
 *     unpriced tokens as counted (jobs/runs `withCountedUnpriced`) and its estimate at settings prices as charged
 *     (core/run-estimate-record: a late report's tokens raise it, policies/estimate-spend);
 *   - its track record's cost mean (policies/track-records: the router's costFit, explain, the fleet card), when its
 *     outcome was counted there and that record still holds it (the record under its key is the one that counted it);
 *   - its experiment arm's cost sums (policies/experiments: `meanCostUsd`, the cost guardrail), when it was the
 *     job's counted run and the experiment still runs.
 * In the charge's unit, and exactly once: the raise is from the run's stored figures to the mark, and a report that
 * adds nothing to the mark (a resend, an older one) never comes here.
 */

import { reviseArmCost, reviseRecordCost } from "../../../core/cost-revision.ts";
import type { Experiment } from "../../../core/experiment.ts";
import type { Job } from "../../../core/model.ts";
import { type RunSpend, raisedToMark } from "../../../core/run-accrual.ts";
import { countsAs } from "../../../core/run-counts.ts";
import { withEstimate } from "../../../core/run-estimate-record.ts";
import type { TrackRecord } from "../../../core/track-record.ts";
import { classOfJob } from "../../../core/track-term.ts";
import type { Run } from "../../../shared/responses.ts";
import { execute } from "../../sql-statements.ts";
import { runSpendMark, withCountedUnpriced } from "../jobs/runs.ts";
import { enqueueRun } from "../outbox/records.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { saveExperiment } from "./experiments.ts";
import { HOLDING_RECORD_SQL } from "./track-records.ts";

/**
 * Raise closed run `doc` (its stored row's JSON) of `job` to `mark` (USD and tokens, in + out), with its D1 row, its
 * track record and its experiment arm; nothing when the run already shows as much.
 */
export function raiseClosedRun(tx: Tx, job: Pick<Job, "requires" | "manifest">, doc: string, mark: RunSpend): void {
  const run = JSON.parse(doc) as Run;
  const insights = raisedToMark(run.insights, mark);
  if (insights === run.insights || !insights) return;
  // The late report's unpriced tokens were counted, and priced, in this unit before (policies/late-spend): the row
  // says them too.
  const counted = withCountedUnpriced(tx.sql, run.jobId, run.leaseEpoch, insights) ?? insights;
  const estimated = runSpendMark(tx.sql, run.jobId, run.leaseEpoch).estimatedUsd;
  const raised: Run = { ...run, insights: withEstimate(counted, estimated) ?? counted };
  execute(
    tx.sql,
    "UPDATE runs SET doc = ? WHERE job_id = ? AND lease_epoch = ?",
    JSON.stringify(raised),
    run.jobId,
    run.leaseEpoch,
  );
  enqueueRun(tx, raised);
  const from = run.insights?.costUsd;
  const to = insights.costUsd;
  if (to === undefined || to === from) return; // the tokens rose, not the cost: no cost statistic moves
  reviseTrack(tx, job, run, from, to);
  reviseArm(tx, run, from, to);
}

/** The run's track record, its cost mean revised from `from` to `to` (USD) when it is the record that counted it. */
function reviseTrack(
  tx: Tx,
  job: Pick<Job, "requires" | "manifest">,
  run: Run,
  from: number | undefined,
  to: number,
): void {
  if (!run.result || countsAs(run.result.outcome, run.result.retryable) === undefined || run.endedAt === undefined)
    return;
  const key = [run.factoryId, run.engine ?? "*", classOfJob(job)] as const;
  const row = one<{ doc: string }>(tx.sql, HOLDING_RECORD_SQL, ...key, run.jobId, run.leaseEpoch);
  // None that holds the run: its factory's records were dropped (deregistered, revoked); its record was evicted
  // (MAX_TRACK_ROWS) and the one under its key now was made afresh by later runs; or a rebuild emptied the table and
  // has not replayed the run yet (policies/track-rebuild: it replays it at the cost raised here).
  if (!row) return;
  const record = JSON.parse(row.doc) as TrackRecord;
  const next = reviseRecordCost(record, run.endedAt, from, to);
  if (next === record) return;
  execute(
    tx.sql,
    "UPDATE track_records SET doc = ? WHERE factory_id = ? AND engine = ? AND job_class = ?",
    JSON.stringify(next),
    ...key,
  );
}

/** The run's experiment arm, its cost sums revised from `from` to `to` (USD) when this run is the job's counted one. */
function reviseArm(tx: Tx, run: Run, from: number | undefined, to: number): void {
  const row = one<{ experiment_id: string; arm: "A" | "B" }>(
    tx.sql,
    "SELECT experiment_id, arm FROM experiment_jobs WHERE job_id = ? AND counted = 1 AND counted_epoch = ?",
    run.jobId,
    run.leaseEpoch,
  );
  if (!row) return; // not in an experiment, another run counted, or the experiment ended (its rows dropped)
  // Read, not required: a refusal here would roll back the charge this unit keeps.
  const found = one<{ doc: string }>(tx.sql, "SELECT doc FROM experiments WHERE id = ?", row.experiment_id);
  if (!found) return;
  const e = JSON.parse(found.doc) as Experiment;
  const next = reviseArmCost(e, row.arm, from, to);
  if (next !== e) saveExperiment(tx, next);
}
