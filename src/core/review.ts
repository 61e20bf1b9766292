/**
 * @module core/review
 * The review gate (SPEC §6, issue "fleet policies" §6): who may review a job, which approvals count towards its
 * quorum of `manifest.reviewers`, and the feedback a rejection carries into the next attempt. Pure: no clock,
 * no storage — the coordinator (coordinator/policies/reviews) applies these rules inside the unit that records a review.
 *
 * Why distinct *authenticated* principals: a quorum of N exists so N different people looked at the work. A
 * reviewer named in the request body can be anyone ("a", "b", "c" from one token), so the only identity that
 * counts is the credential's stable id — an operator token's id, or "admin" for the deployment's admin token
 * (one secret, so it counts as one reviewer however often it approves). The factory that built the job never
 * counts: a principal that holds or held the job's lease is refused outright.
 */
import { z } from "zod";
import { truncateUtf8, utf8Bytes } from "./bytes.ts";
import { DomainError } from "./errors.ts";
import type { Job, Review } from "./model.ts";

/** The authenticated principal behind a review: a stable id (token id, factory id, "admin") and a display name. */
export interface Reviewer {
  id: string;
  name: string;
}

/** The admin token is one deployment secret with no token row: it reviews as this one principal. */
export const ADMIN_REVIEWER: Readonly<Reviewer> = Object.freeze({ id: "admin", name: "admin" });

/** The review round a verdict is fenced to (GET …/reviews `round`): on `POST …/reviews` and legacy approve|reject alike. */
export const ReviewRoundField = z
  .number()
  .int()
  .describe(
    "the review round read from GET …/reviews (`round`): a job requeued and rebuilt since is refused 409 conflict, so " +
      "a verdict only ever applies to the build the reviewer saw",
  );

/**
 * 500 bytes: a review comment is a sentence or two; longer reasoning belongs in the job's feed or tracker, and
 * the comment is copied into the job document (and its history snapshots) on reject.
 */
export const MAX_COMMENT_BYTES = 500;

/**
 * The comment a review record keeps: trimmed, and cut to MAX_COMMENT_BYTES of UTF-8 (on a code-point boundary,
 * ending in "…") — `undefined` when empty. `POST …/reviews` refuses a longer comment at its boundary, but the legacy
 * `…/actions/approve|reject` take a 16,000-byte note (a reject's is the engine's feedback, passed on whole): stored
 * as is, it put 16 KB into each of the 50 reviews a job keeps, in its document and every history snapshot of it.
 */
export function reviewComment(comment: string | undefined): string | undefined {
  const text = comment?.trim();
  if (!text) return undefined;
  return utf8Bytes(text) <= MAX_COMMENT_BYTES ? text : `${truncateUtf8(text, MAX_COMMENT_BYTES - 3)}…`;
}

/**
 * 8 KiB of UTF-8: the feedback handed to the next attempt (the engine's `GF_FEEDBACK`). Older comments are
 * dropped first, so the newest rejection always reaches the engine whole.
 */
export const MAX_FEEDBACK_BYTES = 8 * 1024;

/** One review round: the approvals a job needs, and the instant (ms) its current attempt entered the queue. */
export interface ReviewRound {
  required: number;
  /** Reviews before this instant (ms epoch) belong to an earlier attempt and no longer count. */
  since: number;
}

export interface Tally {
  required: number;
  /** Distinct authenticated principals who approved in this round. */
  approvals: number;
  /** `approvals >= required` (and a gate exists: `required > 0`). */
  met: boolean;
  /** The first counted approval of each principal, oldest first. */
  approvers: Review[];
}

/** Stages a reject applies to: the job was built (review, testing) or is being built (assigned, building). */
export const REJECTABLE: readonly Job["stage"][] = ["assigned", "building", "review", "testing"];

/** The round a job's reviews are counted in: its manifest's quorum, since it last entered `queued`. */
export function reviewRoundOf(job: Pick<Job, "manifest" | "queuedAt">): ReviewRound {
  return { required: job.manifest.reviewers, since: job.queuedAt };
}

/**
 * Whether a stored review counts: an approval, in this round, by an authenticated principal. Reviews written
 * before principals were recorded carry no `reviewerName` — their `reviewer` was whatever the client typed — so
 * they never count. A review's round is the one it names (`round`: the job's `queuedAt` when it was given): a
 * coordinator's clock moves only between its events, so an approval and the requeue after it may share a
 * millisecond, and by time alone that approval would count in the round the requeue began. Reviews from before
 * rounds were recorded are placed by time.
 */
export function counts(review: Review, round: ReviewRound): boolean {
  if (review.verdict !== "approve" || review.reviewerName === undefined) return false;
  return review.round !== undefined ? review.round === round.since : review.at >= round.since;
}

/**
 * The approvals that count in `round`: one per distinct principal (the first), in the order given; never one by
 * a principal in `builders` (refused at write time too — this keeps a stored one from ever counting).
 * @param reviews the job's reviews, oldest first (any order works; the first per principal wins)
 * @param builders ids of the principals that hold or held the job's lease
 */
export function tallyReviews(
  reviews: readonly Review[] | undefined,
  round: ReviewRound,
  builders: ReadonlySet<string> = new Set(),
): Tally {
  const seen = new Set<string>();
  const approvers: Review[] = [];
  for (const r of reviews ?? []) {
    if (!counts(r, round) || seen.has(r.reviewer) || builders.has(r.reviewer)) continue;
    seen.add(r.reviewer);
    approvers.push(r);
  }
  return {
    required: round.required,
    approvals: approvers.length,
    met: round.required > 0 && approvers.length >= round.required,
    approvers,
  };
}

/**
 * Refuses a review the rules forbid; returns nothing when it may be recorded.
 * @param builders ids of every principal that holds or held the job's lease (its factories)
 * @param readRound the round the reviewer read (`ReviewsView.round`), when the request names one
 * @throws DomainError forbidden — the reviewer built the job;
 *         conflict — `readRound` is not the job's current round (it was requeued and rebuilt since), or the reviewer
 *           already approved in this round (an approval counts once);
 *         illegal_transition — an approval of a job that is not in `review`.
 */
export function assertMayReview(
  job: Pick<Job, "id" | "stage" | "reviews" | "manifest" | "queuedAt">,
  reviewer: Reviewer,
  verdict: Review["verdict"],
  builders: ReadonlySet<string>,
  readRound?: number,
): void {
  if (builders.has(reviewer.id)) {
    throw new DomainError("forbidden", `${reviewer.name} built job ${job.id} and cannot review it`, {
      jobId: job.id,
      reviewer: reviewer.id,
    });
  }
  // Fenced as a report is by its epoch: a verdict on the build the reviewer saw, never on one built since. Without
  // it, an approval given while a rejected job was being reworked counted for the rework no one had looked at.
  const current = reviewRoundOf(job).since;
  if (readRound !== undefined && readRound !== current) {
    throw new DomainError(
      "conflict",
      `job ${job.id} was requeued since the review round you read (${readRound}; it is now ${current}): ` +
        "read its reviews again and review the current build",
      { jobId: job.id, round: readRound, currentRound: current },
    );
  }
  if (verdict === "reject") {
    // A verdict on work: built or being built. A `blocked`/`queued` job has nothing to reject (cancel it instead) —
    // the stage table's `blocked → failed` edge exists for a failed dependency, not for a reviewer.
    if (!REJECTABLE.includes(job.stage)) {
      throw new DomainError(
        "illegal_transition",
        `job ${job.id} is ${job.stage}: nothing built to reject (cancel it instead)`,
        {
          jobId: job.id,
          from: job.stage,
          to: "failed",
        },
      );
    }
    return;
  }
  if (job.stage !== "review") {
    throw new DomainError("illegal_transition", `job ${job.id} is ${job.stage}, not in review`, {
      jobId: job.id,
      from: job.stage,
      to: "testing",
    });
  }
  if ((job.reviews ?? []).some((r) => counts(r, reviewRoundOf(job)) && r.reviewer === reviewer.id)) {
    throw new DomainError("conflict", `${reviewer.name} has already approved job ${job.id}`, {
      jobId: job.id,
      reviewer: reviewer.id,
    });
  }
}

/**
 * The feedback for the next attempt after a rejection: the previous feedback, then `name: comment`, separated
 * by a blank line; the oldest entries are dropped (whole) until it fits `maxBytes` of UTF-8. No comment → unchanged.
 * A single entry larger than `maxBytes` is cut to fit, at a code-point boundary.
 */
export function appendFeedback(
  previous: string | undefined,
  entry: { name: string; comment?: string },
  maxBytes = MAX_FEEDBACK_BYTES,
): string | undefined {
  const comment = entry.comment?.trim();
  if (!comment) return previous;
  const line = `${entry.name}: ${comment}`;
  const parts = [...(previous ? previous.split("\n\n") : []), line];
  while (parts.length > 1 && utf8Bytes(parts.join("\n\n")) > maxBytes) parts.shift();
  return truncateUtf8(parts.join("\n\n"), maxBytes);
}

/** `GET …/jobs/{id}/reviews`: the quorum, the approvals that count now, and every review kept (oldest first). */
export interface ReviewsView {
  jobId: string;
  stage: Job["stage"];
  /** The current review round (ms: when the job last entered `queued`); sent back with a review, it fences it. */
  round: number;
  required: number;
  approvals: number;
  /** Ids of the principals whose approvals count in the current round. */
  approvers: string[];
  reviews: Array<
    Required<Pick<Review, "reviewer" | "reviewerName" | "verdict" | "at">> & {
      comment?: string;
      /** Whether this review counts towards the current round's quorum. */
      counted: boolean;
    }
  >;
}

/** The reviews of a job as `GET …/reviews` shows them; legacy reviews read their `note` as the comment. */
export function reviewsView(job: Job): ReviewsView {
  const round = reviewRoundOf(job);
  const tally = tallyReviews(job.reviews, round);
  const counted = new Set(tally.approvers);
  return {
    jobId: job.id,
    stage: job.stage,
    round: round.since,
    required: tally.required,
    approvals: tally.approvals,
    approvers: tally.approvers.map((r) => r.reviewer),
    reviews: (job.reviews ?? []).map((r) => {
      const comment = r.comment ?? r.note;
      return {
        reviewer: r.reviewer,
        reviewerName: r.reviewerName ?? r.reviewer,
        verdict: r.verdict,
        at: r.at,
        ...(comment !== undefined ? { comment } : {}),
        counted: counted.has(r),
      };
    }),
  };
}
