/**
 * @module durable-objects/coordinator/actions
 * Operator actions on a job — requeue, cancel, ship, approve, reject — each one
 * atomic unit that checks the transition table, fences out any current holder
 * (epoch + 1) and writes an audit record naming the operator.
 */
import { DomainError } from "../../core/errors.ts";
import type { Job, Review } from "../../core/model.ts";
import { appendBounded, MAX_REVIEWS_KEPT } from "../../core/record-bounds.ts";
import type { JOB_ACTIONS } from "../../shared/api.ts";
import { regate, settled } from "./dependents.ts";
import { clearExclusions } from "./exclusions.ts";
import { moveJob, NO_LEASE, requireJob, touchJob } from "./job-rows.ts";
import { isLeased } from "./lease-ops.ts";
import { bumpQueueVersion } from "./meta.ts";
import { enqueueAudit, enqueueEvent } from "./outbox.ts";
import { finishRun } from "./runs.ts";
import type { Tx } from "./tx.ts";

export type JobAction = (typeof JOB_ACTIONS)[number];

export interface ActionInput {
  actor: string;
  reviewer?: string;
  note?: string;
}

export interface ActionOutcome {
  job: Job;
  /** The factory whose lease this action took away: it must be told to stop. */
  stoppedFactoryId?: string;
}

/** Take the lease away from its holder, if any: epoch + 1 fences the old holder out. */
function dropLease(tx: Tx, job: Job, why: string): { changes: Partial<Job>; holder?: string } {
  if (!isLeased(job)) return { changes: {} };
  finishRun(tx, job, { outcome: "cancelled", message: why });
  enqueueEvent(tx, job.id, "lease.lost", { factoryId: job.holderFactoryId, leaseEpoch: job.leaseEpoch, why });
  return { changes: { ...NO_LEASE, leaseEpoch: job.leaseEpoch + 1 }, holder: job.holderFactoryId };
}

export function applyAction(tx: Tx, jobId: string, action: JobAction, input: ActionInput): ActionOutcome {
  const job = requireJob(tx.sql, jobId);
  const performed = perform(tx, job, action, input);
  // Back in the queue by an operator's hand: a dependent or composite waits for its gate again (coordinator/dependents).
  const outcome = { ...performed, job: regate(tx, performed.job) };
  enqueueAudit(tx, input.actor, `job.${action}`, jobId, { from: job.stage, to: outcome.job.stage, note: input.note });
  // Watchers see who did what and why, not only the stage it led to.
  enqueueEvent(tx, jobId, "job.action", {
    action,
    actor: input.actor,
    ...(input.reviewer ? { reviewer: input.reviewer } : {}),
    ...(input.note ? { note: input.note } : {}),
  });
  settled(tx, outcome.job); // shipped, cancelled or failed: re-evaluate what waits on it (coordinator/dependents)
  return outcome;
}

function perform(tx: Tx, job: Job, action: JobAction, input: ActionInput): ActionOutcome {
  switch (action) {
    case "requeue": {
      // An operator's requeue starts the job over on every factory: exclusions from lost leases are cleared.
      const cleared = clearExclusions(tx, job.id);
      if (job.stage === "queued" && (cleared > 0 || job.notBefore !== undefined)) {
        // Already queued but held back (excluded, or waiting out a retry delay): offer it now.
        bumpQueueVersion(tx.sql);
        return { job: touchJob(tx, job, { notBefore: undefined }) };
      }
      const { changes, holder } = dropLease(tx, job, `requeued by ${input.actor}`);
      // A manual requeue of a failed job grants it a fresh set of attempts.
      const attempt = job.stage === "failed" ? 0 : Math.max(0, job.attempt - (holder ? 1 : 0));
      const next = moveJob(tx, job, "queued", { ...changes, attempt, notBefore: undefined });
      return { job: next, stoppedFactoryId: holder };
    }
    case "cancel": {
      const { changes, holder } = dropLease(tx, job, `cancelled by ${input.actor}`);
      return { job: moveJob(tx, job, "cancelled", changes), stoppedFactoryId: holder };
    }
    case "ship":
      return { job: moveJob(tx, job, "shipped") };
    case "approve":
      return { job: approve(tx, job, input) };
    case "reject": {
      // Rejecting a job that is still running (assigned/building) takes its lease, like cancel:
      // the holder is fenced out (epoch + 1), its run closed, and it is told to stop.
      const { changes, holder } = dropLease(tx, job, `rejected by ${input.reviewer ?? input.actor}`);
      const feedback = input.note;
      const review: Review = {
        reviewer: input.reviewer ?? input.actor,
        verdict: "reject",
        note: input.note,
        at: tx.now,
      };
      const reviews = appendBounded(job.reviews, review, MAX_REVIEWS_KEPT);
      if (job.stage === "review" && job.manifest.onReject === "requeue") {
        return { job: moveJob(tx, job, "queued", { reviews, feedback, notBefore: undefined }) };
      }
      return {
        stoppedFactoryId: holder,
        job: moveJob(tx, job, "failed", {
          ...changes,
          reviews,
          feedback,
          lastResult: { outcome: "failure", message: `rejected by ${review.reviewer}`, retryable: false },
        }),
      };
    }
  }
}

/** Distinct reviewers: the same reviewer approving twice does not count twice. */
function approve(tx: Tx, job: Job, input: ActionInput): Job {
  if (job.stage !== "review") {
    throw new DomainError("illegal_transition", `job ${job.id} is ${job.stage}, not in review`, {
      jobId: job.id,
      from: job.stage,
      to: "testing",
    });
  }
  const reviewer = input.reviewer ?? input.actor;
  const reviews = job.reviews ?? [];
  if (reviews.some((r) => r.reviewer === reviewer && r.verdict === "approve" && r.at >= job.queuedAt)) {
    throw new DomainError("conflict", `${reviewer} has already approved job ${job.id}`, { jobId: job.id, reviewer });
  }
  const next = appendBounded(
    reviews,
    { reviewer, verdict: "approve" as const, note: input.note, at: tx.now },
    MAX_REVIEWS_KEPT,
  );
  const approvals = new Set(next.filter((r) => r.verdict === "approve" && r.at >= job.queuedAt).map((r) => r.reviewer));
  if (approvals.size >= job.manifest.reviewers) return moveJob(tx, job, "testing", { reviews: next });
  return touchJob(tx, job, { reviews: next });
}
