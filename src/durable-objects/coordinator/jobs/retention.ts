/**
 * @module durable-objects/coordinator/jobs/retention
 * The pruning pass the cron runs for each product (core/retention gives the cut-offs): expired, used or revoked enrollment
 * codes deleted, old idempotency keys forgotten (and the bulk batches read through them), the spend rows of jobs
 * shipped or cancelled before the feeds' cut-off forgotten (policies/spend-prune), and the feeds of jobs terminal for longer than the policy purged
 * (each JobFeed's `purge`: storage and artifact bytes). Every step is bounded per pass and idempotent, so a deep
 * backlog drains over a few passes and overlapping passes are harmless.
 *
 * Feeds are found through `jobs_settled` (schema.ts), an index on terminal jobs' `updatedAt`, walked from a
 * watermark in `meta` (jobs/settled-walk, the walk spend-prune takes too) — a terminal job never changes stage
 * again, so what lies behind the watermark stays pruned.
 * (The one exception, an operator's requeue of a `dead_letter` job, ends terminal again with a later `updatedAt`,
 * ahead of the watermark; a purged feed keeps its `seq_base`, so the revived job's feed continues gaplessly.)
 *
 * A requeue racing the purge. The coordinator and the JobFeed are two objects, and the coordinator's awaits (the
 * unit's hooks, the purge RPC) let a requeue in at any point, so the purge is decided twice, each time atomically:
 * 1. `stillDue`, in a coordinator unit run right before the purges are issued: each job is re-read (still terminal,
 *    unchanged since it was found, before the cut-off), and the outbox's high-water seq taken as the decision's mark.
 *    A requeue committed before this unit drops the job here: its feed is not touched.
 * 2. The JobFeed's `purge(mark)` (feed/purge), one synchronous step there: refused if its log holds an event whose
 *    source seq (the coordinator's outbox seq, AUTOINCREMENT) is above the mark. A requeue committed after step 1
 *    enqueues its events above the mark, and they reach the feed either before the purge (refused: nothing lost,
 *    no watcher closed) or after it (appended to the emptied log, seq continuing from `seq_base`: nothing lost).
 * A refusal ends the pass's purged prefix like a failure; the next pass no longer finds the revived job due.
 *
 * Behind the watermark nothing is looked at again, so nothing may be added there: each purge names the job's
 * `updatedAt` it purged (`purge(mark, at)`), and the JobFeed refuses an artifact for the job as it still is —
 * terminal, same `updatedAt` — with 410 feed_purged (feed/purge `purgedRefusal`), else its bytes would stay for good.
 */

import { counted } from "../../../core/counted.ts";
import { DomainError, failure, type Outcome } from "../../../core/errors.ts";
import { TERMINAL_STAGES } from "../../../core/model.ts";
import type { RetentionCutoffs } from "../../../core/retention.ts";
import { feedName } from "../../../shared/coordinator-rpc.ts";
import type { PurgeResult } from "../../feed/purge.ts";
import { execute } from "../../sql-statements.ts";
import { forgetWatchersOf } from "../access/feed-readers.ts";
import { pruneSpend } from "../policies/spend-prune.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { pruneBatches } from "./batches.ts";
import { pruneKeys } from "./key-prune.ts";
import { type SettledJob, settledAfter, settledThrough } from "./settled-walk.ts";

export type { SettledJob };

/** Rows deleted or updated per statement and pass: keeps one pass to milliseconds however large the backlog. */
const ROWS_PER_PASS = 1000;
/** Feeds purged per pass: each is an RPC to a JobFeed (and R2 deletes); 50 a minute is 72,000 a day. */
export const FEEDS_PER_PASS = 50;

const WATERMARK_KEY = "retention_feeds_through";

export interface PrunedRows {
  enrollmentCodes: number;
  idempotencyKeys: number;
  /** Bulk batches forgotten with the keys they are read through (jobs/batches). */
  batches: number;
  /** Runs whose spend rows were forgotten, their `spend` kept in their docs (policies/spend-prune). */
  spendRuns: number;
}

/**
 * Deletes used and revoked codes and codes expired before the cut-off; forgets keys of jobs created before theirs, and
 * the spend rows of jobs shipped or cancelled before the feeds' (policies/spend-prune).
 */
export function pruneRows(tx: Tx, cut: RetentionCutoffs): PrunedRows {
  const enrollmentCodes = execute(
    tx.sql,
    `DELETE FROM enrollment_codes WHERE id IN (
       SELECT id FROM enrollment_codes WHERE used_at IS NOT NULL OR revoked_at IS NOT NULL OR expires_at < ?1 LIMIT ${ROWS_PER_PASS})`,
    cut.codesExpiredBefore,
  );
  const idempotencyKeys = pruneKeys(tx, cut.keysCreatedBefore); // whole instants at a time (jobs/key-prune)
  const batches = pruneBatches(tx, cut.keysCreatedBefore);
  return { enrollmentCodes, idempotencyKeys, batches, spendRuns: pruneSpend(tx, cut) };
}

/** Up to `limit` jobs terminal since before the cut-off whose feeds were not purged yet, oldest first. */
export function feedsDue(tx: Tx, cut: RetentionCutoffs, limit = FEEDS_PER_PASS): SettledJob[] {
  return settledAfter(tx, WATERMARK_KEY, cut.feedsSettledBefore, limit);
}

/**
 * After `purged` (the unbroken prefix `purgeFeeds` purged, oldest first, not empty): the watermark moved past its
 * last job, so the next pass starts after it, and the purged jobs' watchers forgotten — a purge closed every stream
 * of those feeds, so nothing is left there for a revocation to close.
 */
export function afterPurge(tx: Tx, purged: readonly SettledJob[]): void {
  settledThrough(tx, WATERMARK_KEY, purged.at(-1));
  forgetWatchersOf(
    tx,
    purged.map((j) => j.id),
  );
}

/** The jobs of `due` still due now, and the decision's mark: the last outbox seq handed out so far. */
export interface PurgeDecision {
  due: SettledJob[];
  mark: number;
}

/**
 * Step 1 of the race (module header): the jobs of `due` that are still terminal, unchanged since they were found
 * (same `updatedAt`) and settled before the cut-off, with the outbox's high-water seq. Read-only; run it in a unit of
 * its own right before `purgeFeeds`, with no await between them and the reads it decides on.
 */
export function stillDue(tx: Tx, due: readonly SettledJob[], cut: RetentionCutoffs): PurgeDecision {
  const terminal = new Set<string>(TERMINAL_STAGES);
  const kept = due.filter((j) => {
    const now = one<{ stage: string; at: number }>(
      tx.sql,
      "SELECT stage, json_extract(doc, '$.updatedAt') AS at FROM jobs WHERE id = ?",
      j.id,
    );
    return now !== undefined && terminal.has(now.stage) && now.at === j.at && now.at < cut.feedsSettledBefore;
  });
  // AUTOINCREMENT's counter, not MAX(seq): delivered records leave the outbox, the counter never goes back.
  const mark = one<{ seq: number }>(tx.sql, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")?.seq ?? 0;
  return { due: kept, mark };
}

/**
 * What `purgeFeeds` did: how far the watermark may move, and the jobs whose purge failed (thrown, or R2 refused
 * their artifacts' bytes; not a refusal).
 */
export interface PurgeOutcome {
  /** The unbroken prefix of `due` that was purged (empty when the first was not): the watermark may pass these. */
  purged: SettledJob[];
  /**
   * Ids of the jobs whose JobFeed `purge` threw or left bytes in R2 (`bytesLeft`), in `due` order: what is left of
   * their feeds is kept until a pass purges it.
   */
  failed: string[];
}

/**
 * Purges the feeds of `decision.due` (in order, each refused if its job was revived after `decision.mark`). The
 * watermark may move only past `purged`, the unbroken purged prefix; a failure or a refusal is looked at
 * again by the next pass. A refusal (`revived`) is the job coming back to life, not a fault; a throw is, and so is
 * a purge that left its artifacts' bytes in R2 (`bytesLeft`), and each is returned in `failed` so that the pass
 * reports it (ProductCoordinator `prune`): only logged, a feed whose purge kept failing was kept for good while every
 * cron run was said to have succeeded. Held at such a job, the watermark keeps the pass on the same FEEDS_PER_PASS
 * feeds (the others among them purged again, as no-ops) until R2 takes the bytes: the cron run fails meanwhile.
 */
export async function purgeFeeds(env: Env, productId: string, decision: PurgeDecision): Promise<PurgeOutcome> {
  const { due, mark } = decision;
  const results = await Promise.allSettled(
    due.map((j): Promise<PurgeResult> => env.JOB_FEED.getByName(feedName(productId, j.id)).purge(mark, j.at)),
  );
  const purged: SettledJob[] = [];
  let prefix = true;
  const failed: string[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === "rejected") {
      console.warn(`feed purge failed for ${productId}/${due[i]!.id}: ${String(r.reason)}`);
      failed.push(due[i]!.id);
      prefix = false;
    } else if (r.value.bytesLeft) {
      // Its log is forgotten, its bytes are not: failed until R2 takes them, the watermark held here so the next
      // pass purges it again (feed/purge; the feed's alarm retries too). Counted done, only the feed knew.
      console.warn(
        `feed purge of ${productId}/${due[i]!.id} left ${counted(r.value.bytesLeft, "artifact key")} in R2: ${r.value.bytesError}`,
      );
      failed.push(due[i]!.id);
      prefix = false;
    } else if (r.value.revived) {
      prefix = false; // requeued after the decision: its feed lives on
    } else if (prefix) {
      purged.push(due[i]!);
    }
  }
  return { purged, failed };
}

/** Job ids a pass's refusal names; the rest are counted. */
const FAILED_NAMED = 10;

/**
 * The pass's answer when feeds failed to purge (`failed`: their job ids): `unavailable`, so the cron run counts the
 * product as failed (worker/reaper), with what the pass did prune all the same (`pruned`) in its details.
 */
export function purgeFailed(failed: readonly string[], pruned: Record<string, number>): Outcome<never> {
  const more = failed.length > FAILED_NAMED ? ` and ${failed.length - FAILED_NAMED} more` : "";
  const message =
    `the feeds of ${counted(failed.length, "job")} could not be purged (${failed.slice(0, FAILED_NAMED).join(", ")}${more}): ` +
    "their logs, or their artifacts' bytes in R2, are kept, and the next retention pass tries again";
  return failure(new DomainError("unavailable", message, { failedJobs: failed.slice(0, FAILED_NAMED), pruned }));
}
