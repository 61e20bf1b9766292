/**
 * @module durable-objects/coordinator/policies/reviews
 * The review gate applied to a job, inside the unit that records the review (rules in core/review): an approval
 * by a distinct authenticated principal counts once, and the quorum moves the job to `testing`; a rejection
 * fails the job or requeues it (`onReject`; a requeued rework starts with fresh attempts, and a composite, which has
 * no run to redo, always fails) with the comment appended to its feedback (and, if there is one, recorded as an
 * automatic lesson), and takes the lease of a
 * job still running (epoch + 1, run closed, the holder told to stop) like cancel. The factory that built the job
 * (any principal that holds or held its lease) is refused.
 */

import type { Job, Review } from "../../../core/model.ts";
import { appendBounded, MAX_REVIEWS_KEPT } from "../../../core/record-bounds.ts";
import {
  appendFeedback,
  assertMayReview,
  type Reviewer,
  reviewComment,
  reviewRoundOf,
  type Tally,
  tallyReviews,
} from "../../../core/review.ts";
import { regate, settled } from "../dag/dependents.ts";
import { type ActionOutcome, dropLease } from "../jobs/actions.ts";
import { moveJob, requireJob, touchJob } from "../jobs/rows.ts";
import { enqueueAudit, enqueueEvent } from "../outbox/records.ts";
import type { Tx } from "../runtime/tx.ts";
import { endIfSpent } from "./job-allowance.ts";
import { recordAutoLesson } from "./lessons.ts";

export interface ReviewInput {
  /** The authenticated principal (core/review): whose approval counts. */
  by: Reviewer;
  verdict: Review["verdict"];
  comment?: string;
  /** The review round the reviewer read (core/review `ReviewsView.round`): refused when the job was rebuilt since. */
  round?: number;
  /** How the audit log names the caller (worker/auth `actorOf`). */
  actor: string;
}

/** Ids of every factory that holds or held a lease on the job: the principals that built it. */
export function buildersOf(sql: SqlStorage, job: Job): Set<string> {
  const rows = sql.exec<{ f: string }>("SELECT DISTINCT factory_id AS f FROM runs WHERE job_id = ?", job.id).toArray();
  const ids = new Set(rows.map((r) => r.f));
  if (job.holderFactoryId) ids.add(job.holderFactoryId);
  return ids;
}

/**
 * Record one review of `job` and apply it; the caller audits. Shared by `POST …/reviews` and the legacy
 * `…/actions/approve|reject`, so the two cannot count differently.
 * @throws DomainError forbidden (the reviewer built the job), illegal_transition (approve outside `review`, or a
 *   reject the stage table refuses), conflict (the principal already approved in this round, or `input.round` is
 *   not the job's current round).
 */
export function applyReview(tx: Tx, job: Job, input: ReviewInput): ActionOutcome {
  const { by, verdict } = input;
  const comment = input.comment?.trim() || undefined;
  const builders = buildersOf(tx.sql, job);
  assertMayReview(job, by, verdict, builders, input.round);
  // The record keeps a bounded copy (core/review `reviewComment`); feedback, lesson and event take the note whole.
  const kept = reviewComment(comment);
  const review: Review = {
    reviewer: by.id,
    reviewerName: by.name,
    verdict,
    ...(kept ? { comment: kept } : {}),
    at: tx.now,
    round: reviewRoundOf(job).since,
  };
  const reviews = appendBounded(job.reviews, review, MAX_REVIEWS_KEPT);
  const outcome = verdict === "approve" ? approve(tx, job, reviews, builders) : reject(tx, job, reviews, by, comment);
  const tally = tallyReviews(outcome.job.reviews, reviewRoundOf(job));
  enqueueEvent(tx, job.id, "job.review", {
    reviewer: by.id,
    reviewerName: by.name,
    verdict,
    ...(comment ? { comment } : {}),
    approvals: tally.approvals,
    required: tally.required,
  });
  return outcome;
}

function approve(tx: Tx, job: Job, reviews: Review[], builders: ReadonlySet<string>): ActionOutcome {
  const tally: Tally = tallyReviews(reviews, reviewRoundOf(job), builders);
  if (tally.met) return { job: moveJob(tx, job, "testing", { reviews }) };
  return { job: touchJob(tx, job, { reviews }) };
}

/** Why a rejected composite with `onReject: requeue` fails instead (the end of its `lastResult.message`). */
export const COMPOSITE_NOT_REQUEUED =
  "onReject: requeue does not apply to a composite, which has no run to redo: requeue or resubmit the children to rework";

/** Reject: requeue with feedback (`onReject: requeue`) or fail; a running job's lease is taken either way. */
function reject(tx: Tx, job: Job, reviews: Review[], by: Reviewer, comment?: string): ActionOutcome {
  const { changes, holder } = dropLease(tx, job, `rejected by ${by.name}`, "handed_back"); // a verdict, not a cancel
  const feedback = appendFeedback(job.feedback, { name: by.name, comment });
  // A lesson says what to do differently: without a note there is nothing to learn, and "X was rejected by Y" alone
  // went to every later job on that engine. The rejection itself stays on record (the review, event and audit).
  if (comment) {
    recordAutoLesson(tx, {
      trigger: "review_rejected",
      subject: `job:${job.id}`,
      // The stage says what was rejected: a review's verdict, a tested build, or a run still going (core/review REJECTABLE).
      text: `"${job.manifest.title}" was rejected in ${job.stage} by ${by.name}: ${comment}`,
      capabilities: job.manifest.requires,
      ...(job.engine ? { engine: job.engine } : {}),
      ...(job.serialKey ? { serialKey: job.serialKey } : {}),
    });
  }
  // Requeue only work to redo: a job in review, or one still running. Anything else rejected just fails. A
  // composite has no run to redo: requeued, it went to blocked, found its children shipped and was back in review
  // at once, the rejection lost (found by a reviewer) — it fails, saying why.
  const requeue = job.manifest.onReject === "requeue" && (job.stage === "review" || holder !== undefined);
  if (requeue && job.kind !== "composite") {
    // The rework starts with its whole retry allowance: a rejection is a verdict on the work, not a failed attempt
    // (with the attempt kept, the claim made it maxAttempts + 1 and one lost lease dead-lettered the rework).
    const rework = { ...changes, reviews, feedback, notBefore: undefined, attempt: 0 };
    // Nothing left of the job's own budget to redo it on: ended `budget_exceeded` (policies/job-allowance), not
    // queued to wait for a seat it could not use. `settled` (reviewJob) re-evaluates its dependents.
    const next = endIfSpent(tx, job, rework) ?? moveJob(tx, job, "queued", rework);
    return { job: next, stoppedFactoryId: holder };
  }
  const why = requeue ? `; ${COMPOSITE_NOT_REQUEUED}` : "";
  const failed = moveJob(tx, job, "failed", {
    ...changes,
    reviews,
    feedback,
    lastResult: {
      outcome: "failure",
      message: `rejected by ${by.name}${comment ? `: ${comment}` : ""}${why}`,
      retryable: false,
    },
  });
  return { job: failed, stoppedFactoryId: holder };
}

/** `POST …/jobs/{id}/reviews`: one review as its own audited unit (`job.review`). */
export function reviewJob(tx: Tx, jobId: string, input: ReviewInput): ActionOutcome & { tally: Tally } {
  const job = requireJob(tx.sql, jobId);
  const reviewed = applyReview(tx, job, input);
  // A reject that requeued it: a dependent or composite waits for its gate again, exactly as after the action's
  // reject (jobs/actions `applyAction`). Without it a rejected composite went to queued and was claimed and built
  // (found by a reviewer), though a composite never builds.
  const outcome = { ...reviewed, job: regate(tx, reviewed.job) };
  enqueueAudit(tx, input.actor, "job.review", jobId, {
    verdict: input.verdict,
    reviewer: input.by.id,
    from: job.stage,
    to: outcome.job.stage,
    ...(input.comment ? { comment: input.comment } : {}),
  });
  settled(tx, outcome.job); // a reject that failed it fails what waits on it (coordinator/dag/dependents)
  return { ...outcome, tally: tallyReviews(outcome.job.reviews, reviewRoundOf(job)) };
}
