/**
 * @module durable-objects/coordinator/jobs/actions
 * Operator actions on a job — requeue, cancel, ship, approve, reject — each one
 * atomic unit that checks the transition table, fences out any current holder
 * (epoch + 1) and writes an audit record naming the operator. A requeue is
 * refused `budget_exceeded` while the job has spent its own budget, unless it
 * raises it (policies/job-allowance), and refused `ancestor_cancelled` below a cancelled composite
 * (dag/cancel-subtree `refuseUnderCancelled`).
 */
import { DomainError } from "../../../core/errors.ts";
import type { Job } from "../../../core/model.ts";
import type { Reviewer } from "../../../core/review.ts";
import { assertTransition } from "../../../core/stages.ts";
import type { JOB_ACTIONS } from "../../../shared/api.ts";
import { type Cascade, cancelSubtree, refuseUnderCancelled } from "../dag/cancel-subtree.ts";
import { regate, settled } from "../dag/dependents.ts";
import { clearExclusions } from "../dispatch/exclusions.ts";
import { expireIfLapsed } from "../dispatch/forced-loss.ts";
import { isLeased } from "../dispatch/lease-ops.ts";
import { holdSerialKey } from "../dispatch/serial-holds.ts";
import { enqueueAudit, enqueueEvent } from "../outbox/records.ts";
import { requeueAllowance } from "../policies/job-allowance.ts";
import { applyReview } from "../policies/reviews.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { moveJob, NO_LEASE, requireJob, touchJob } from "./rows.ts";
import { finishRun } from "./runs.ts";

export type JobAction = (typeof JOB_ACTIONS)[number];

export interface ActionInput {
  actor: string;
  /** Legacy display label a client may send with approve/reject; recorded in the event, never counted. */
  reviewer?: string;
  note?: string;
  /** Approve/reject only: the review round the reviewer read; refused 409 once the job was rebuilt (core/review). */
  round?: number;
  /** The authenticated principal (approve/reject): whose review counts (core/review). */
  by?: Reviewer;
  /** Requeue only: the job's new budget.usd / budget.tokens (policies/job-allowance). */
  budgetUsd?: number;
  budgetTokens?: number;
}

export interface ActionOutcome {
  job: Job;
  /** The factory whose lease this action took away: it must be told to stop. */
  stoppedFactoryId?: string;
  /** A composite's cancel: its subtree's cascade (coordinator/dag/cancel-subtree). */
  cascade?: Cascade;
}

/**
 * Take the lease away from its holder, if any: epoch + 1 fences the old holder out, and its serial key stays held
 * while that holder stops the engine (dispatch/serial-holds).
 */
export function dropLease(
  tx: Tx,
  job: Job,
  why: string,
  outcome: "cancelled" | "handed_back" = "cancelled", // a cancel, or a requeue or reviewer's reject: not one
): { changes: Partial<Job>; holder?: string } {
  if (!isLeased(job)) return { changes: {} };
  holdSerialKey(tx, job);
  finishRun(tx, job, { outcome, message: why });
  enqueueEvent(tx, job.id, "lease.lost", { factoryId: job.holderFactoryId, leaseEpoch: job.leaseEpoch, why });
  return { changes: { ...NO_LEASE, leaseEpoch: job.leaseEpoch + 1 }, holder: job.holderFactoryId };
}

/** Cancel `job` (any non-terminal stage): a holder's lease taken (epoch + 1, run closed `why`); the caller tells it. */
export function cancelJob(tx: Tx, job: Job, why: string): Job {
  const { changes } = dropLease(tx, job, why);
  // Its stage event says why (`result`), not the job's last run's result (jobs/rows `resultOfMove`).
  return moveJob(tx, job, "cancelled", changes, { outcome: "cancelled", message: why });
}

export function applyAction(tx: Tx, jobId: string, action: JobAction, input: ActionInput): ActionOutcome {
  if (action !== "requeue" && (input.budgetUsd !== undefined || input.budgetTokens !== undefined)) {
    throw new DomainError("validation_failed", `budgetUsd and budgetTokens go with a requeue, not ${action}`, {
      action,
    });
  }
  if (input.round !== undefined && action !== "approve" && action !== "reject") {
    throw new DomainError("validation_failed", `round goes with an approve or a reject, not ${action}`, { action });
  }
  const job = requireJob(tx.sql, jobId);
  const performed = perform(tx, job, action, input);
  // Back in the queue by an operator's hand: a dependent or composite waits for its gate again (coordinator/dag/dependents).
  const outcome = { ...performed, job: regate(tx, performed.job) };
  enqueueAudit(tx, input.actor, `job.${action}`, jobId, {
    from: job.stage,
    to: outcome.job.stage,
    note: input.note,
    // A composite's cancel, once for its subtree: how many descendants went with it, and whether more follow.
    ...(performed.cascade ? { descendantsCancelled: performed.cascade.cancelled, more: performed.cascade.more } : {}),
  });
  // Watchers see who did what and why, not only the stage it led to.
  enqueueEvent(tx, jobId, "job.action", {
    action,
    actor: input.actor,
    ...(input.reviewer ? { reviewer: input.reviewer } : {}),
    ...(input.note ? { note: input.note } : {}),
  });
  settled(tx, outcome.job); // shipped, cancelled or failed: re-evaluate what waits on it (coordinator/dag/dependents)
  return outcome;
}

function perform(tx: Tx, found: Job, action: JobAction, input: ActionInput): ActionOutcome {
  let job = found;
  switch (action) {
    case "requeue": {
      // A lapsed lease is an expiry first (dispatch/forced-loss): its attempt counted — taken here, it was refunded —
      // and the requeue applies to the job as the reaper left it (queued, or dead-lettered on its last attempt).
      job = expireIfLapsed(tx, job) ?? job;
      // A stage with no way back to the queue (testing, shipped, cancelled) is refused as such before anything else:
      // refused `budget_exceeded` first, a spent job's operator raised its budget as told, to be refused this anyway.
      if (job.stage !== "queued") assertTransition(job.id, job.stage, "queued");
      // Its parent (or one above) is cancelled: its work went with it, cascade finished or not (found by a reviewer:
      // a dead-lettered child requeued after its parent's cancel ran and was paid for).
      refuseUnderCancelled(tx.sql, job);
      // A job with nothing left of its own budget would fail on its first cent: refused unless this raises it.
      const budget = requeueAllowance(tx, job, input, input.actor);
      // An operator's requeue starts the job over on every factory: exclusions from lost leases are cleared.
      const cleared = clearExclusions(tx, job.id);
      if (job.stage === "queued" && (cleared > 0 || job.notBefore !== undefined)) {
        // Already queued but held back (excluded, or waiting out a retry delay): offer it now. Its delay ends now
        // rather than vanishing: cleared, the job counted as due since its requeue, and the delay it sat out as
        // starving and as dispatch latency (core/health `starvingFrom`, core/metrics `dueAt`).
        bumpQueueVersion(tx.sql);
        const notBefore = job.notBefore === undefined ? undefined : Math.min(job.notBefore, tx.now);
        return { job: touchJob(tx, job, { ...budget, notBefore }) };
      }
      const { changes, holder } = dropLease(tx, job, `requeued by ${input.actor}`, "handed_back");
      // A manual requeue of a failed or dead-lettered job grants it a fresh set of attempts (its retries were
      // spent on a cause the operator now says is fixed); the audit record (applyAction) keeps from → to.
      // Likewise from `review`: its run ended in work someone will redo, not in a failed attempt (policies/reviews).
      const fresh = job.stage === "failed" || job.stage === "dead_letter" || job.stage === "review";
      const attempt = fresh ? 0 : Math.max(0, job.attempt - (holder ? 1 : 0));
      // A new wait, even for a job taken from its holder: the operator started it over (jobs/rows `waitingSinceOf`).
      const restart = { ...changes, ...budget, attempt, notBefore: undefined, waitingSince: undefined };
      const next = moveJob(tx, job, "queued", restart);
      return { job: next, stoppedFactoryId: holder };
    }
    case "cancel": {
      const holder = isLeased(job) ? job.holderFactoryId : undefined;
      const cancelled = cancelJob(tx, job, `cancelled by ${input.actor}`);
      // A composite's subtree goes with it (coordinator/dag/cancel-subtree), bounded per unit.
      return { job: cancelled, stoppedFactoryId: holder, cascade: cancelSubtree(tx, cancelled, input.actor) };
    }
    case "ship":
      return { job: moveJob(tx, job, "shipped") };
    case "approve":
    case "reject":
      // The review gate (coordinator/policies/reviews): counted by the authenticated principal, never by `input.reviewer`.
      if (!input.by) throw new DomainError("forbidden", `${action} needs an authenticated reviewer`);
      return applyReview(tx, job, {
        by: input.by,
        verdict: action,
        comment: input.note,
        actor: input.actor,
        ...(input.round !== undefined ? { round: input.round } : {}),
      });
  }
}
