/**
 * @module core/retention
 * How long a product keeps what it no longer needs: the retention policy, its documented defaults, and the pure
 * rule that turns it and `now` into cut-off instants for the cron pruning pass (coordinator/jobs/retention).
 *
 * What each item is, and why its default:
 * - a terminal job's feed (its JobFeed object: event log, artifact pointers and their bytes in R2) —
 *   `terminalFeedDays`, 30 days: long enough to read a finished job's logs and fetch its diff; D1 history keeps
 *   the job's snapshots, runs and audit for good.
 * - an idempotency key (the job it created stays; the key stops deduplicating) — `idempotencyKeyDays`, 7 days:
 *   far past any client's or queue's retry window (Stripe keeps keys 24 h).
 * - an enrollment code — deleted once used or revoked, or `enrollmentCodeGraceHours` (1 h) after it expired, so a late
 *   `enroll` still gets "expired" rather than "unknown" for a while.
 * - a shipped or cancelled job's spend rows (each run's reported mark, unpriced tokens and estimate: coordinator
 *   policies/spend-prune) — with its feed, after `terminalFeedDays`: its runs' `spend` is folded into their stored
 *   docs first (the runs list reads the same), and from then on a fenced report resent for such a run charges nothing
 *   (`spendForgotten`: without the mark it would charge the run again whole). A `dead_letter` job keeps them: an
 *   operator's requeue revives it, and its job budget counts its earlier runs' spend.
 * There is no settings endpoint yet: a product's policy is DEFAULT_RETENTION. `RetentionPolicySchema` is the zod
 * shape a future `PATCH …/settings` would accept (values in whole days/hours, bounded).
 */
import { z } from "zod";
import { type Stage, TERMINAL_STAGES } from "./model.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const RetentionPolicySchema = z.strictObject({
  /** Days a job's feed is kept after the job reached a terminal stage (1–3650: up to ten years). */
  terminalFeedDays: z.number().int().min(1).max(3650),
  /** Days an idempotency key deduplicates submissions (1–365). */
  idempotencyKeyDays: z.number().int().min(1).max(365),
  /** Hours an expired, unused enrollment code is kept before deletion (0–168: up to a week). */
  enrollmentCodeGraceHours: z.number().int().min(0).max(168),
});
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export const DEFAULT_RETENTION: RetentionPolicy = {
  terminalFeedDays: 30,
  idempotencyKeyDays: 7,
  enrollmentCodeGraceHours: 1,
};

/** Instants (ms since epoch): what is older than each may go. */
export interface RetentionCutoffs {
  /** Feeds of jobs terminal since before this instant (the job's `updatedAt`) are purged. */
  feedsSettledBefore: number;
  /** Idempotency keys of jobs created before this instant are forgotten. */
  keysCreatedBefore: number;
  /** Enrollment codes that expired before this instant are deleted (used codes go at once). */
  codesExpiredBefore: number;
}

/** The cut-offs of `policy` at `now` (ms). Pure: the pruning pass and its tests pass `now` in. */
export function retentionCutoffs(now: number, policy: RetentionPolicy = DEFAULT_RETENTION): RetentionCutoffs {
  return {
    feedsSettledBefore: now - policy.terminalFeedDays * DAY_MS,
    keysCreatedBefore: now - policy.idempotencyKeyDays * DAY_MS,
    codesExpiredBefore: now - policy.enrollmentCodeGraceHours * HOUR_MS,
  };
}

/**
 * When `job` settled — its `updatedAt` (ms) if it is terminal, the instant retention counts from — else null (a job
 * that is not terminal is never purged). Also what names the life of a job a purge forgot (feed/purge).
 */
export function settledAt(job: { stage: Stage; updatedAt: number }): number | null {
  return TERMINAL_STAGES.includes(job.stage) ? job.updatedAt : null;
}

/** The terminal stages after which a job never runs again: its spend rows may go (a `dead_letter` job may be requeued). */
const SPEND_FINAL: readonly Stage[] = ["shipped", "cancelled"];

/**
 * Whether `job`'s spend rows are (or may be, the pass not there yet) forgotten at cut-offs `cut`: shipped or cancelled
 * since before `feedsSettledBefore`. Then no report may charge its runs any more — their marks, which make a resent
 * report charge only its increase, are gone. Monotone in time: once true for a job, true at every later `now`.
 */
export function spendForgotten(job: { stage: Stage; updatedAt: number }, cut: RetentionCutoffs): boolean {
  return SPEND_FINAL.includes(job.stage) && job.updatedAt < cut.feedsSettledBefore;
}
