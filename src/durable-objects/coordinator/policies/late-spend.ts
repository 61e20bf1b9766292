/**
 * @module durable-objects/coordinator/policies/late-spend
 * CHARGE A FENCED REPORT — contract (issue 9, parts 1–2; SPEC §4.2 and §6):
 *   inputs: a run report (HTTP PATCH, or a WebSocket `progress`, `complete` or `fail` frame, alone or in a batch)
 *           refused `409 fenced` because its lease epoch is no longer live — the coordinator took the lease (expiry,
 *           cancel, requeue, preemption, budget stop, reject, release) or the run already ended — whose cumulative
 *           `insights` carry cost or tokens; `tx.now`.
 *   why:    the engine spent that money whether or not its lease survived: an agent's last report after the lease
 *           was lost was refused and its spend since the last accepted report was never charged — the product
 *           budget stayed under its ceiling, and a job over its own budget was retried instead of failed.
 *   guard:  the report is still refused (the factory must stop) and changes nothing of the job; only its spend is
 *           kept (runtime/kept-refusal `KeptRefusal`: a unit of its own after the refusal rolled back; before the expiry of
 *           a lapsed lease that the same refusal keeps, dispatch/lease-ops FENCE). Only the factory
 *           that held that epoch can charge it (its run names it): another factory, a made-up epoch or a report
 *           for a job this product does not have charges nothing. Only the increase over that run's high-water mark
 *           counts (core/budget `accrue`, `run_spend` per job × epoch), so resent and reordered late reports never
 *           charge twice, nor anything an in-lease report already charged. A job shipped or cancelled before the
 *           retention cut-off charges nothing: its runs' marks are forgotten (policies/spend-prune).
 *   output: the run's mark raised; when the run had closed, its stored cost and tokens too, with its D1 row, its
 *           track record and its experiment arm (policies/closed-run-raise `raiseClosedRun`); its unpriced tokens
 *           counted (policies/unpriced-spend) and charged at their engine's price if set (policies/estimate-spend:
 *           `addedUsd` holds the estimate's change, `estimatedUsd` the run's estimated part); an audit record
 *           `spend.fenced_report`; and the product budget charged (policies/budget `spend`: warning, pause, stop).
 *           When the job's total spend (every run's marks) is now past its `budget.usd`/`tokens`: a job holding a
 *           lease (the lost one not yet reaped, or a new holder's) is ended by the in-lease overrun rule
 *           (policies/run-spend `endOverBudget`: failed `budget_exceeded`, lease taken, cancel pushed); a job
 *           waiting to run again (queued, blocked) ends `failed` `budget_exceeded` instead of running; a job whose
 *           runs are over (review, testing, failed, terminal) keeps its stage, the audit saying it overran. A waiting
 *           job the charge brings to exactly a limit has nothing left to run on: it ends the same way (job-allowance
 *           `endIfSpent`).
 */

import { DomainError, FencedError } from "../../../core/errors.ts";
import { jobOverrun, jobSpent, reportTokens, runMark } from "../../../core/job-budget.ts";
import type { Insights, Job, Stage } from "../../../core/model.ts";
import { retentionCutoffs, spendForgotten } from "../../../core/retention.ts";
import { accrue } from "../../../core/run-accrual.ts";
import { settled } from "../dag/dependents.ts";
import { fence, isLeased } from "../dispatch/lease-ops.ts";
import { loadJob } from "../jobs/rows.ts";
import { jobSpendMarks, runSpendMark } from "../jobs/runs.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { keepFirst, refusalOf } from "../runtime/kept-refusal.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { spend } from "./budget.ts";
import { raiseClosedRun } from "./closed-run-raise.ts";
import { chargeEstimate } from "./estimate-spend.ts";
import { endIfSpent } from "./job-allowance.ts";
import { endOverBudget, keepRunMark } from "./run-spend.ts";
import { countReportUnpriced } from "./unpriced-spend.ts";

export interface FencedReport {
  jobId: string;
  factoryId: string;
  leaseEpoch: number;
  insights?: Insights;
}

/** Stages where the job waits to run again: a late overrun fails it instead. */
const WAITING: readonly Stage[] = ["queued", "blocked"];

/**
 * `fence()` for a run report (dispatch/lease-ops): the job when the report's lease is live; refused as `fence()`
 * refuses — and when refused as `fenced` while the report carries spend, that spend is kept (`chargeFencedReport`).
 * Kept first, before what `fence()` keeps itself (the expiry of a lease it found lapsed): the charge then sees the
 * lapsed lease still held, as it did before that expiry was kept (the in-lease overrun rule ends it, and the expiry,
 * re-checking, finds nothing left to expire), and the expiry follows as the alarm's would have after the charge.
 * @throws FencedError (as a KeptRefusal when the report carries spend or the lease lapsed), NotFoundError,
 *   DomainError not_lease_holder
 */
export function fenceReport(tx: Tx, report: FencedReport, loaded?: Job): Job {
  try {
    return fence(tx, report.jobId, report.factoryId, report.leaseEpoch, loaded);
  } catch (err) {
    const spends = (report.insights?.costUsd ?? 0) > 0 || reportTokens(report.insights) > 0;
    if (!(err instanceof DomainError) || !(refusalOf(err) instanceof FencedError) || !spends) throw err;
    throw keepFirst(err, (t) => chargeFencedReport(t, report));
  }
}

/** Charge a fenced report's spend (see the contract above); changes nothing when it adds nothing. */
export function chargeFencedReport(tx: Tx, report: FencedReport): void {
  const job = loadJob(tx.sql, report.jobId);
  if (!job || report.leaseEpoch > job.leaseEpoch) return;
  // Its runs' marks forgotten by retention (policies/spend-prune): a resend would charge the run again whole.
  if (spendForgotten(job, retentionCutoffs(tx.now))) return;
  const run = one<{ factory_id: string; ended_at: number | null; doc: string; engine: string | null }>(
    tx.sql,
    "SELECT factory_id, ended_at, doc, engine FROM runs WHERE job_id = ? AND lease_epoch = ?",
    job.id,
    report.leaseEpoch,
  );
  if (!run || run.factory_id !== report.factoryId) return; // only the holder of that lease spent under it
  const reported = { costUsd: report.insights?.costUsd ?? 0, tokens: reportTokens(report.insights) };
  const before = runSpendMark(tx.sql, job.id, report.leaseEpoch);
  const accrued = accrue(before, reported);
  const seen = runMark(accrued.seen); // in micro-dollars, as charged (core/job-budget `runMark`)
  // A resend, or an older report: nothing moved (its written part alone may have: kept, policies/run-spend).
  if (!keepRunMark(tx, { jobId: job.id, leaseEpoch: report.leaseEpoch }, before, seen, report.insights)) return;
  // Counted as the spend is (policies/unpriced-spend), and priced when the run's engine has a price (estimate-spend).
  const said = { ...runMark(reported), unpricedTokens: report.insights?.unpricedTokens };
  const unpriced = countReportUnpriced(tx, job.id, report.leaseEpoch, before, said);
  const priced = { jobId: job.id, leaseEpoch: report.leaseEpoch, engine: run.engine ?? undefined };
  const tokens = report.insights ?? {};
  const charged = chargeEstimate(tx, priced, before, seen.costUsd, tokens, unpriced, accrued.deltaUsd);
  const { deltaUsd } = charged;
  if (run.ended_at !== null) raiseClosedRun(tx, job, run.doc, seen);
  // The runs' marks (each in micro-dollars) summed in floats, to the micro-dollar every sum is kept in ($0.10 + $0.20
  // is 0.30000000000000004): core/job-budget `jobSpent`.
  const spent = jobSpent([jobSpendMarks(tx.sql, job.id)]);
  // Wall time is not judged here: the lost run's clock stopped with its lease (a live lease's renewals judge it).
  const overrun = jobOverrun(
    { usd: job.budget?.usd, tokens: job.budget?.tokens },
    { costUsd: spent.costUsd, tokensIn: spent.tokens },
    tx.now,
    tx.now,
  );
  enqueueAudit(tx, "system", "spend.fenced_report", job.id, {
    factoryId: report.factoryId,
    leaseEpoch: report.leaseEpoch,
    addedUsd: deltaUsd,
    ...(charged.estimatedUsd > 0 ? { estimatedUsd: charged.estimatedUsd } : {}),
    run: seen,
    job: spent,
    stage: job.stage,
    ...(overrun ? { overrun: overrun.message } : {}),
  });
  if (overrun) {
    const lateFrom = { factoryId: report.factoryId, leaseEpoch: report.leaseEpoch };
    // A lease (the lost one, not reaped yet, or a new holder's) ends as an in-lease overrun does; a waiting job
    // ends without running again; a job whose runs are over keeps its result.
    if (isLeased(job)) endOverBudget(tx, job, overrun, { final: false }, lateFrom);
    else if (WAITING.includes(job.stage)) endOverBudget(tx, job, overrun, { final: true }, lateFrom);
  } else if (WAITING.includes(job.stage)) {
    // Exactly at a limit is within it, but leaves a waiting job nothing to run on (policies/job-allowance): ended
    // now, not left queued until a dispatch ends it — never, if no factory can take it.
    const ended = endIfSpent(tx, job);
    if (ended) settled(tx, ended);
  }
  spend(tx, deltaUsd, undefined, charged.estimatedDeltaUsd);
}
