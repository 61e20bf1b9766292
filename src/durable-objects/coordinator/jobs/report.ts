/**
 * @module durable-objects/coordinator/jobs/report
 * PATCH (fenced) — contract:
 *   inputs: factory id, `{leaseEpoch, stage?, checkpoint?, progress?, result?, insights?}`, `now`.
 *   guard:  `fence()` — the epoch is the job's current one and the factory holds
 *           the live lease; otherwise `409 fenced` and nothing is written but the
 *           spend a fenced report carries (policies/late-spend `fenceReport`).
 *   output: checkpoint/progress saved; `building` when work starts; `review` or
 *           `testing` on success (whichever the manifest's review gate says);
 *           `failed` on failure, then an automatic delayed retry for transient
 *           failures while attempts remain, or `dead_letter` once they are spent.
 */

import { counted } from "../../../core/counted.ts";
import { DomainError } from "../../../core/errors.ts";
import { reportTokens } from "../../../core/job-budget.ts";
import { jitteredRetryDelayMs } from "../../../core/lease.ts";
import type { Checkpoint, Insights, Job, RunResult, Stage } from "../../../core/model.ts";
import { afterRateLimit } from "../../../core/rate-limit.ts";
import { settled } from "../dag/dependents.ts";
import { isLeased } from "../dispatch/lease-ops.ts";
import { touchActivity } from "../outbox/webhook-records.ts";
import { endIfSpent } from "../policies/job-allowance.ts";
import { type FencedReport, fenceReport } from "../policies/late-spend.ts";
import { recordRetryExhausted } from "../policies/lessons.ts";
import { recordRetry } from "../policies/metrics.ts";
import { chargeReport } from "../policies/run-spend.ts";
import { keepFirst } from "../runtime/kept-refusal.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { loadJob, moveJob, NO_LEASE, touchJob, waitingSinceOf } from "./rows.ts";
import { finishRun } from "./runs.ts";

export interface PatchBody {
  leaseEpoch: number;
  stage?: Stage;
  checkpoint?: Omit<Checkpoint, "at">;
  progress?: { pct?: number; note?: string };
  result?: RunResult;
  insights?: Insights;
}

export function patchJob(tx: Tx, factoryId: string, jobId: string, body: PatchBody): Job {
  if (body.stage === "review" || body.stage === "testing" || body.stage === "failed") {
    const outcome = body.result?.outcome ?? (body.stage === "failed" ? "failure" : "success");
    const job = loadJob(tx.sql, jobId);
    const resent = job && alreadyReported(tx, factoryId, job, body.leaseEpoch, outcome);
    if (resent) return resent;
    return applyReport(tx, fenceReport(tx, reportOf(factoryId, jobId, body), job), body);
  }
  return applyReport(tx, fenceReport(tx, reportOf(factoryId, jobId, body)), body);
}

/** What a fenced refusal of this report still charges (policies/late-spend): its lease and its spend. */
function reportOf(factoryId: string, jobId: string, body: Omit<PatchBody, "stage">): FencedReport {
  return { jobId, factoryId, leaseEpoch: body.leaseEpoch, insights: body.insights };
}

/** A report on `job`, already fenced in this unit (patchJob, completeJob): its changes, spend, run and move. */
function applyReport(tx: Tx, job: Job, body: PatchBody): Job {
  const jobId = job.id;
  // Progress and checkpoints over HTTP are activity too (stuck is measured from it), though they make no feed event.
  if (body.progress || body.checkpoint) touchActivity(tx, jobId);
  const to = body.stage;
  // A stage the report may not move to is refused before anything is charged: the refusal rolls its unit back, and
  // the money its engine spent was lost with it (a $9 report refused for `stage: review` without reviewers left the
  // budget $4 short). Its spend is kept as a progress report's would be (runtime/kept-refusal).
  const refused = to === undefined || to === job.stage ? undefined : stageRefusal(job, to);
  if (refused) throw chargeKept(refused, job, body.insights);
  // Cost accrues as reported; a run over its job budget (or stopped by the product's) ends here (policies/run-spend).
  const final = to === "review" || to === "testing" || to === "failed";
  const ended = chargeReport(tx, job, { insights: body.insights, checkpoint: body.checkpoint, final });
  if (ended) return ended;
  const changes: Partial<Job> = {};
  if (body.checkpoint) changes.checkpoint = { ...body.checkpoint, at: tx.now };
  if (body.progress) changes.progress = body.progress;
  if (to === undefined || to === job.stage) return touchJob(tx, job, changes);
  switch (to) {
    case "building":
      return moveJob(tx, job, "building", changes);
    case "review":
    case "testing": {
      const result: RunResult = body.result ?? { outcome: "success", rc: 0 };
      finishRun(tx, job, result, body.insights);
      return moveJob(tx, job, to, { ...changes, ...NO_LEASE, lastResult: result, feedback: undefined });
    }
    case "failed": {
      const reported: RunResult = body.result ?? { outcome: "failure", message: "reported failed" };
      // A factory's overrun is its job's own budget spent, final whatever it claims: only the coordinator's product
      // stop (policies/budget-stop) is a retryable `budget_exceeded`, which learned routing leaves out (countsAs).
      const result = reported.outcome === "budget_exceeded" ? { ...reported, retryable: false } : reported;
      finishRun(tx, job, result, body.insights);
      const failed = moveJob(tx, job, "failed", { ...changes, ...NO_LEASE, lastResult: result });
      // A rate limit is not the job's fault: requeued, refunded and backed off within bounds (core/rate-limit);
      // policies/breakers has opened this factory × engine for `retryAfterSeconds`, so it goes elsewhere or is held.
      if (result.outcome === "rate_limited") return requeueRateLimited(tx, failed);
      return settled(tx, afterFailure(tx, failed)); // still failed (no retry) or dead-lettered: dependents re-evaluated
    }
    default:
      throw stageRefusal(job, to); // unreachable: refused above
  }
}

/**
 * Why a factory's report may not move `job` to `to`, or undefined when it may: a factory reports building, review,
 * testing or failed, and a success goes to the gate its manifest names (review with reviewers, else testing).
 */
function stageRefusal(job: Job, to: Stage): DomainError | undefined {
  if (to === "building" || to === "failed") return undefined;
  if (to === "review" || to === "testing") {
    const gate: Stage = job.manifest.reviewers > 0 ? "review" : "testing";
    if (to === gate) return undefined;
    return new DomainError(
      "illegal_transition",
      `job ${job.id} finishes into ${gate}, not ${to} (its manifest asks for ${counted(job.manifest.reviewers, "review approval")})`,
      { jobId: job.id, from: job.stage, to, expected: gate },
    );
  }
  return new DomainError(
    "illegal_transition",
    `a factory may report only building, review, testing or failed (got ${to}); operators move jobs with actions`,
    { jobId: job.id, from: job.stage, to },
  );
}

/**
 * `refusal`, keeping the spend the refused report carries (runtime/kept-refusal): charged after the rollback as a
 * progress report on the same live lease would be (policies/run-spend `chargeReport`, not final). Nothing to keep
 * when the report spends nothing, or when the lease moved on meanwhile (the job re-read in the keep's own unit).
 */
function chargeKept(refusal: DomainError, job: Job, insights: Insights | undefined): DomainError {
  if (insightsCost(insights) <= 0 && reportTokens(insights) <= 0) return refusal;
  return keepFirst(refusal, (t) => {
    const now = loadJob(t.sql, job.id);
    if (now && now.leaseEpoch === job.leaseEpoch && isLeased(now)) chargeReport(t, now, { insights, final: false });
  });
}

/**
 * COMPLETE — the push protocol's success report: the stage is the one the
 * manifest's review gate names, and a job still `assigned` (the factory never
 * said it started) passes through `building` so history stays truthful.
 */
export function completeJob(tx: Tx, factoryId: string, jobId: string, body: Omit<PatchBody, "stage">): Job {
  const loaded = loadJob(tx.sql, jobId);
  const resent = loaded && alreadyReported(tx, factoryId, loaded, body.leaseEpoch, body.result?.outcome ?? "success");
  if (resent) return resent;
  // The resend check's read is the fence's too: one read and parse of the job per report.
  let job = fenceReport(tx, reportOf(factoryId, jobId, body), loaded);
  if (job.stage === "assigned") job = moveJob(tx, job, "building");
  const gate: Stage = job.manifest.reviewers > 0 ? "review" : "testing";
  // Fenced above, in this unit: the report applies to the job in hand (no second resend check, fence or read).
  return applyReport(tx, job, { ...body, stage: gate });
}

/**
 * A report resent after its ack was lost (the agent cannot tell a lost ack from
 * a lost lease) is acknowledged again instead of refused — but only a genuine
 * resend: the job is still at the report's epoch with no lease, and that run
 * was ended by this factory with this outcome. A report is the only thing that
 * ends a lease without a new epoch (expiry, release, requeue, cancel, reject
 * and revoke all bump it), so that state means this very report was applied.
 * A report at a lost epoch whose outcome happens to match how the coordinator
 * closed the run (`timeout` on expiry, `cancelled` on requeue) goes through
 * the fence and is refused `409 fenced`.
 * A final report whose spend passed the job's own budget closed its run `budget_exceeded`, whatever outcome it
 * reported (policies/run-spend `endOverBudget`, final: same epoch): that outcome at the job's epoch, with no lease,
 * is this report applied — resent, it was refused `409 fenced`, telling the agent its lease was lost when its
 * report had landed. (A progress report's overrun takes the epoch; a late report's ends no run of its own epoch.)
 */
function alreadyReported(
  tx: Tx,
  factoryId: string,
  job: Job,
  leaseEpoch: number,
  outcome: string,
): (Job & { duplicate: true }) | undefined {
  if (job.leaseEpoch !== leaseEpoch || isLeased(job)) return undefined;
  const run = tx.sql
    .exec<{ outcome: string | null }>(
      "SELECT outcome FROM runs WHERE job_id = ? AND lease_epoch = ? AND factory_id = ? AND ended_at IS NOT NULL",
      job.id,
      leaseEpoch,
      factoryId,
    )
    .toArray()[0];
  if (!run || (run.outcome !== outcome && run.outcome !== OVERRUN)) return undefined;
  return { ...job, duplicate: true };
}

/**
 * After a reported failure (`job` is in `failed`): a transient one (`failure` or `timeout`, not marked
 * `retryable: false`) is queued again with `notBefore` = now + the product's retry backoff (settings.retry:
 * base · 2^(attempt−1) capped at max, jittered down by up to `jitter` — core/lease `jitteredRetryDelayMs`; the
 * alarm wakes at `notBefore` and dispatches it), until `maxAttempts` are spent: then `dead_letter`. A permanent
 * failure (`retryable: false`), a budget overrun or a cancellation stays `failed` for an operator — and so does a
 * job that has spent its usd/tokens budget (policies/job-allowance `endIfSpent`: `budget_exceeded`, nothing left to
 * run a retry on). `random` ∈ [0, 1) draws the jitter (a parameter for tests; `Math.random()` otherwise).
 */
export function afterFailure(tx: Tx, job: Job, random: number = Math.random()): Job {
  const result = job.lastResult;
  const transient = result && (result.outcome === "failure" || result.outcome === "timeout");
  if (!transient || result.retryable === false) return job;
  const spent = job.attempt < job.maxAttempts ? endIfSpent(tx, job) : undefined;
  if (spent) return spent;
  if (job.attempt >= job.maxAttempts) {
    recordRetryExhausted(tx, job, result);
    return moveJob(tx, job, "dead_letter");
  }
  const delay = jitteredRetryDelayMs(job.attempt, getSettings(tx.sql).retry, random);
  recordRetry(tx);
  // The retry's stage event says which failure it retries (jobs/rows `resultOfMove`): an operator's requeue does not.
  return moveJob(tx, job, "queued", { notBefore: tx.now + delay }, result);
}

/**
 * After a `rate_limited` report (`job` is in `failed`): queued again per core/rate-limit `afterRateLimit` — at once
 * the first time, then after the retry backoff; refunded the first REFUNDED_RATE_LIMITS times, then counted, so a
 * job whose attempts are spent that way is dead-lettered (its dependents re-evaluated) instead of looping.
 */
function requeueRateLimited(tx: Tx, job: Job, random: number = Math.random()): Job {
  const count = tx.sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM runs WHERE job_id = ? AND outcome = 'rate_limited'", job.id)
    .one().n;
  const { delayMs, refund } = afterRateLimit(count, getSettings(tx.sql).retry, random);
  if (!refund && job.attempt >= job.maxAttempts) {
    if (job.lastResult) recordRetryExhausted(tx, job, job.lastResult);
    return settled(tx, moveJob(tx, job, "dead_letter"));
  }
  const spent = endIfSpent(tx, job); // nothing left of its own budget: no run to retry on (policies/job-allowance)
  if (spent) return settled(tx, spent);
  const attempt = refund ? Math.max(0, job.attempt - 1) : job.attempt;
  // Not the job's own failure: it goes on waiting from when its wait began (jobs/rows `waitingSinceOf`).
  const changes = { attempt, waitingSince: waitingSinceOf(job) };
  const back = delayMs > 0 ? { ...changes, notBefore: tx.now + delayMs } : changes;
  return moveJob(tx, job, "queued", back, job.lastResult); // the rate limit it waits out, on its stage event
}

/** The outcome a final report's run is closed with when its spend passed the job's budget (policies/run-spend). */
const OVERRUN = "budget_exceeded";

export function insightsCost(insights?: Insights): number {
  return insights?.costUsd ?? 0;
}
