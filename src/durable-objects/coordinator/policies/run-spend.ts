/**
 * @module durable-objects/coordinator/policies/run-spend
 * CHARGE A REPORT — contract (issue 9, parts 1–2), called by every fenced run report, in the report's own unit:
 *   inputs: the fenced job (its lease is live), the report's cumulative `insights` (progress, completion or failure,
 *           over HTTP PATCH or the WebSocket), its checkpoint, whether it ends the run, `tx.now`.
 *   guard:  only the increase over what this run (job × lease epoch) already reported is accrued (core/budget
 *           `accrue`; high-water marks in `run_spend`, in whole micro-dollars: core/job-budget `runMark`), so resent
 *           or reordered reports never count twice, and the job's spend is what the product budget charged for it.
 *   output: the product budget charged (policies/budget `spend`: warning, pause, stop — a job this report's spend
 *           stops is requeued with the checkpoint the report carried). When the job's cost or
 *           tokens (this run's cumulative report plus every earlier run's marks: the manifest bounds the job), or
 *           this run's wall time since it started, passes the manifest's `budget` (core/job-budget), the
 *           job ends `failed` with outcome `budget_exceeded` (permanent: never retried), checkpoint kept, a
 *           `job.budget_exceeded` event in its feed saying why, a `job_budget_exceeded` alert. On a progress report the
 *           coordinator takes the lease (epoch + 1, like a cancel) and queues a `cancel` for the holder; a final
 *           report ends its lease itself (same epoch, so a resend of it is acknowledged as a duplicate: jobs/report). Returns the job as it ended when the report's job was ended or stopped
 *           here (the caller answers with it and applies nothing else), else undefined. Its unpriced tokens are
 *           counted with it (policies/unpriced-spend) and, when their engine has a price, charged as an estimate
 *           with it (policies/estimate-spend: product and job budgets alike).
 */

import { addUsd } from "../../../core/budget.ts";
import { type JobOverrun, jobOverrun, jobSpent, reportTokens, runMark } from "../../../core/job-budget.ts";
import type { Checkpoint, Insights, Job, JobBudget, RunResult } from "../../../core/model.ts";
import { accrue, type RunSpend, type RunSpendMark } from "../../../core/run-accrual.ts";
import { writtenMark } from "../../../core/written-mark.ts";
import { execute } from "../../sql-statements.ts";
import { settled } from "../dag/dependents.ts";
import { holdSerialKey } from "../dispatch/serial-holds.ts";
import { noteStop } from "../factories/notices.ts";
import { loadJob, moveJob, NO_LEASE } from "../jobs/rows.ts";
import { earlierSpendMarks, finishRun, runSpendMark, runStartedAt } from "../jobs/runs.ts";
import { enqueueEvent } from "../outbox/records.ts";
import type { Tx } from "../runtime/tx.ts";
import { raiseAlert } from "./alerts.ts";
import { spend } from "./budget.ts";
import { chargeEstimate } from "./estimate-spend.ts";
import { countReportUnpriced } from "./unpriced-spend.ts";

export interface RunReport {
  insights?: Insights;
  checkpoint?: Omit<Checkpoint, "at">;
  /** The report ends the run (completion or failure): a budget `stop` leaves this job to finish. */
  final: boolean;
}

export function chargeReport(tx: Tx, job: Job, report: RunReport): Job | undefined {
  const reported = { costUsd: report.insights?.costUsd ?? 0, tokens: reportTokens(report.insights) };
  const limits = job.budget ?? {}; // jobs stored before manifests defaulted `budget` have none
  // A report that spends nothing moves no high-water mark and charges nothing, and with no wall-time limit nothing
  // can newly overrun (limits are fixed at submit, and the marks were checked when they last grew): no row to read —
  // two reads and a job reload per job at a few hundred jobs/s (issue 12).
  if (reported.costUsd <= 0 && reported.tokens <= 0 && limits.wallSeconds === undefined) return undefined;
  const before = runSpendMark(tx.sql, job.id, job.leaseEpoch);
  const accrued = accrue(before, reported);
  const seen = runMark(accrued.seen); // in micro-dollars, as charged: the job's spend sums what the product's does
  let charged = { deltaUsd: accrued.deltaUsd, estimatedDeltaUsd: 0, estimatedUsd: before.estimatedUsd };
  const moved = keepRunMark(tx, { jobId: job.id, leaseEpoch: job.leaseEpoch }, before, seen, report.insights);
  if (moved) {
    // Its tokens no USD came for, counted as its spend is: only a report that moved the mark (policies/unpriced-spend),
    // and charged at the engine's price when the operator set one (policies/estimate-spend).
    const said = { ...runMark(reported), unpricedTokens: report.insights?.unpricedTokens };
    const unpriced = countReportUnpriced(tx, job.id, job.leaseEpoch, before, said);
    const run = { jobId: job.id, leaseEpoch: job.leaseEpoch, engine: job.engine };
    const tokens = report.insights ?? {};
    charged = chargeEstimate(tx, run, before, seen.costUsd, tokens, unpriced, accrued.deltaUsd);
  }
  const { deltaUsd, estimatedDeltaUsd } = charged;
  // Only a wall-time limit needs the run's start: most reports skip the read.
  const started = limits.wallSeconds === undefined ? undefined : runStartedAt(tx.sql, job.id, job.leaseEpoch);
  const spent = jobSpend(tx, job, limits, { ...seen, costUsd: addUsd(seen.costUsd, charged.estimatedUsd) });
  const overrun = jobOverrun(limits, { costUsd: spent.costUsd, tokensIn: spent.tokens }, started ?? tx.now, tx.now);
  if (overrun) {
    const ended = endOverBudget(tx, job, overrun, report);
    spend(tx, deltaUsd, { keepJobId: job.id }, estimatedDeltaUsd);
    return loadJob(tx.sql, job.id) ?? ended;
  }
  if (deltaUsd <= 0) {
    spend(tx, 0, undefined, estimatedDeltaUsd); // an estimate replaced: the period's estimated part falls, no charge
    return undefined; // `spend` charges nothing: the product budget cannot have stopped the job
  }
  // A progress report's checkpoint is the newest: a `stop` this spend sets off requeues its job with it.
  const newer = !report.final && report.checkpoint ? { jobId: job.id, checkpoint: report.checkpoint } : undefined;
  spend(tx, deltaUsd, report.final ? { keepJobId: job.id } : { reported: newer }, estimatedDeltaUsd);
  const after = loadJob(tx.sql, job.id);
  return after && after.leaseEpoch !== job.leaseEpoch ? after : undefined; // stopped by the product budget
}

/**
 * Store run `run`'s marks after a report (`run_spend`), when they moved: USD and tokens (in + out), `seen` (core/
 * run-accrual `accrue`, as `runMark` rounds it), and the written part (core/written-mark `writtenMark`, NULL: unknown).
 * Why the written part: a `welcome` sends it (dispatch/held-leases), so a resumed lease's earlier tokens are folded
 * by side and priced exactly, not all as written (agent/run-usage `runUsage`, core/prices `estimateUsd`). Shared by a
 * live report and a fenced one (policies/late-spend).
 * @returns whether USD or tokens moved (what the unpriced count and the estimate follow); the written part alone
 *          moving (a reordered report) is stored without them
 */
export function keepRunMark(
  tx: Tx,
  run: { jobId: string; leaseEpoch: number },
  before: RunSpendMark,
  seen: RunSpend,
  insights: Insights | undefined,
): boolean {
  const tokensOut = writtenMark(before, insights, seen.tokens);
  const moved = seen.costUsd !== before.costUsd || seen.tokens !== before.tokens;
  if (!moved && tokensOut === before.tokensOut) return false;
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO run_spend(job_id, lease_epoch, cost_usd, tokens, tokens_out) VALUES (?, ?, ?, ?, ?)",
    run.jobId,
    run.leaseEpoch,
    seen.costUsd,
    seen.tokens,
    tokensOut ?? null,
  );
  return moved;
}

/**
 * What the job has spent in all: this run's marks plus every earlier run's (their rows are kept for this), since
 * the manifest's `usd` and `tokens` bound the job, not each run — a job retried, rate limited or stopped and
 * requeued had started a fresh allowance with each run. Read only when such a limit is set.
 */
function jobSpend(tx: Tx, job: Job, limits: JobBudget, run: RunSpend): RunSpend {
  if (limits.usd === undefined && limits.tokens === undefined) return run;
  return jobSpent([earlierSpendMarks(tx.sql, job.id, job.leaseEpoch), run]);
}

/**
 * End `job`'s run over its own budget (see the contract above): failed `budget_exceeded`, checkpoint kept, event and
 * alert; not `final`: the lease taken (epoch + 1) and a cancel queued for its holder. `lateFrom`: the lost lease
 * whose fenced report found the overrun (policies/late-spend), named in the event.
 */
export function endOverBudget(
  tx: Tx,
  job: Job,
  overrun: JobOverrun,
  report: RunReport,
  lateFrom?: { factoryId: string; leaseEpoch: number },
): Job {
  const result: RunResult = { outcome: "budget_exceeded", message: overrun.message, retryable: false };
  if (!report.final) {
    noteStop(tx, job, overrun.message, "job_budget");
    holdSerialKey(tx, job); // the engine runs on until its holder stops it (dispatch/serial-holds)
  }
  finishRun(tx, job, result, report.insights);
  noteOverBudget(tx, job, overrun, "stopped", lateFrom);
  const failed = moveJob(tx, job, "failed", {
    ...NO_LEASE,
    leaseEpoch: report.final ? job.leaseEpoch : job.leaseEpoch + 1,
    lastResult: result,
    ...(report.checkpoint ? { checkpoint: { ...report.checkpoint, at: tx.now } } : {}),
  });
  return settled(tx, failed); // permanent (jobs/report afterFailure keeps budget_exceeded failed): dependents re-evaluated
}

/**
 * What a job ended over its budget leaves behind: a `job.budget_exceeded` event in its feed (the limit, used and
 * max, why, the run's holder and epoch, `lateFrom`) and a `job_budget_exceeded` alert ("job "…" <how>: <why>").
 */
export function noteOverBudget(
  tx: Tx,
  job: Job,
  overrun: JobOverrun,
  how: "stopped" | "not retried",
  lateFrom?: { factoryId: string; leaseEpoch: number },
): void {
  enqueueEvent(tx, job.id, "job.budget_exceeded", {
    limit: overrun.limit,
    used: overrun.used,
    max: overrun.max,
    why: overrun.message,
    factoryId: job.holderFactoryId,
    leaseEpoch: job.leaseEpoch,
    ...(lateFrom ? { lateFrom } : {}),
  });
  raiseAlert(tx, {
    kind: "job_budget_exceeded",
    severity: "warning",
    subject: `job:${job.id}`,
    message: `job "${job.title}" ${how}: ${overrun.message}`,
  });
}
