/**
 * @module durable-objects/feed/purge
 * A JobFeed's retention purge (coordinator/jobs/retention decides when), in two steps:
 *
 * 1. `forgetLog`, one synchronous transaction: refused (`revived`) when the log holds an event the coordinator
 *    enqueued after it decided the purge — every coordinator event carries its outbox seq as `source_seq`, and the
 *    outbox seq is AUTOINCREMENT, so "enqueued after the decision" is exactly `source_seq > decidedThrough`. Else the
 *    events and artifact pointers are deleted, `seq_base` keeps the seq reached (a revived job's feed continues
 *    gaplessly), `source_base` the decision's mark (a record at or below it, a redelivery or one still in the
 *    outbox when the purge was decided, is of the purged life and dropped), and the pointers' R2 keys are queued
 *    in `doomed_bytes`.
 * 2. `deleteDoomedBytes`: the queued keys' bytes deleted from R2, each row dropped once R2 confirmed it. While R2
 *    refuses, the purge is not done: it answers `bytesLeft`, which the coordinator reports as a failed purge (the
 *    cron run fails naming the product) and retries on its next pass; meanwhile the feed's alarm retries too, backed
 *    off with each refusal in a row (feed/upload-intents `nextSweepAt`: a minute, doubling, at most an hour).
 *
 * Deciding and deleting with no `await` between them is what makes the purge safe against a requeue: a Durable
 * Object's input gate closes only around its own storage, so any await (an R2 call) would let an append in
 * between the check and the delete. After step 1, appends enqueued after the decision land on the emptied log and
 * are kept.
 *
 * A new pointer is not: step 1 also records which life of the job it purged (`purged_settled_at`: the job's
 * `updatedAt` when it was decided), and an upload to the job as it still is — terminal, with that same `updatedAt` —
 * is refused `410 feed_purged` (`purgedRefusal`), checked in the commit's own transaction. Retention walks past a
 * purged job for good (a watermark), so a pointer added after its purge would keep its bytes in R2 for ever. A job
 * revived by a requeue has a later `updatedAt` when it ends again: its uploads are taken, and purged in their turn.
 */
import { truncateUtf8 } from "../../core/bytes.ts";
import { DomainError } from "../../core/errors.ts";
import { instantWords } from "../../core/waiting-commands.ts";
import { execute } from "../sql-statements.ts";
import { lastSeq, SOURCE_BASE_KEY } from "./event-log.ts";
import { sweepCleared, sweepRefused } from "./upload-intents.ts";

/** Meta key: the `updatedAt` of the terminal job whose feed the last purge forgot. */
const PURGED_KEY = "purged_settled_at";

/** Keys per R2 delete call: the API's own maximum. */
const R2_DELETE_BATCH = 1000;

/** What R2's refusal a purge answers quotes, bytes of UTF-8. */
const ERROR_BYTES = 512;

/** What one purge did. `revived`: refused, the job came back to life after the decision; nothing was changed. */
export interface PurgeResult {
  /** Events deleted. */
  events: number;
  /** Artifact pointers deleted (their bytes deleted from R2 with them, or still doomed: `bytesLeft`). */
  artifacts: number;
  revived?: true;
  /**
   * Keys whose bytes R2 refused to delete, still doomed (kept, retried): present only then. The log is forgotten but
   * the purge is not done — the coordinator counts it failed and purges the feed again on its next pass.
   */
  bytesLeft?: number;
  /** R2's refusal, at most 512 bytes of UTF-8 (with `bytesLeft`). */
  bytesError?: string;
}

/**
 * Step 1 (call inside `transactionSync`): the log and pointers forgotten unless an event with
 * `source_seq > decidedThrough` is in the log; `settledAt` (the purged job's `updatedAt`, when the coordinator
 * names it) recorded, so that uploads to the job as it was purged are refused. Returns what was deleted, or `revived`.
 */
export function forgetLog(sql: SqlStorage, decidedThrough: number, settledAt?: number): PurgeResult {
  const newer = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE source_seq > ?", decidedThrough)
    .one().n;
  if (newer > 0) return { events: 0, artifacts: 0, revived: true };
  if (settledAt !== undefined) {
    execute(sql, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", PURGED_KEY, String(settledAt));
  }
  // The dedup memory outlives the rows, and reaches the decision's mark: every record the coordinator enqueued up to
  // it is of the purged life (the job was terminal and unchanged when the mark was taken), delivered or not. Kept
  // only as the highest source seq deleted, and not at all when the log was already empty, a record still in the
  // outbox when the purge was decided was appended to the emptied log after it — behind retention's watermark, for
  // good. Now it is dropped like a redelivery (feed/event-log `appendEvents`); a requeue's records, above the mark,
  // are kept.
  execute(
    sql,
    `INSERT OR REPLACE INTO meta(key, value) SELECT ?1, CAST(MAX(?3,
       COALESCE((SELECT MAX(source_seq) FROM events), 0),
       COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?2), 0)) AS TEXT)`,
    SOURCE_BASE_KEY,
    SOURCE_BASE_KEY,
    decidedThrough,
  );
  const events = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n;
  const artifacts = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM artifacts").one().n;
  if (events === 0 && artifacts === 0) return { events, artifacts };
  const base = lastSeq(sql);
  execute(sql, "INSERT OR IGNORE INTO doomed_bytes(r2_key) SELECT r2_key FROM artifacts");
  execute(sql, "DELETE FROM artifacts");
  execute(sql, "DELETE FROM events");
  execute(sql, "INSERT OR REPLACE INTO meta(key, value) VALUES ('seq_base', ?)", String(base));
  return { events, artifacts };
}

/**
 * `410 feed_purged` when retention purged this feed while the job was as it is now (`settledAt`: its `updatedAt`
 * if it is terminal, null if not — a live job is never refused); else undefined.
 */
export function purgedRefusal(sql: SqlStorage, jobId: string, settledAt: number | null): DomainError | undefined {
  if (settledAt === null) return undefined;
  const purged = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", PURGED_KEY).toArray()[0];
  if (purged?.value !== String(settledAt)) return undefined;
  return new DomainError(
    "feed_purged",
    `job ${jobId} ended on ${instantWords(settledAt)} and retention has purged its feed and artifacts; ` +
      "nothing can be added to them (D1 history keeps the job's record)",
    { jobId, settledAt },
  );
}

/**
 * Step 2: deletes the bytes of every doomed key from `bucket`, a batch at a time, forgetting each batch once R2
 * confirmed it; counts R2's refusals in a row (feed/upload-intents `nextSweepAt` backs off by them), cleared once
 * none is left.
 * @throws whatever R2 throws: the rest stays queued, and the feed's alarm (armed first) retries it.
 * @returns how many keys' bytes were deleted
 */
export async function deleteDoomedBytes(sql: SqlStorage, bucket: R2Bucket): Promise<number> {
  let deleted = 0;
  for (;;) {
    const keys = sql
      .exec<{ k: string }>(`SELECT r2_key AS k FROM doomed_bytes ORDER BY r2_key LIMIT ${R2_DELETE_BATCH}`)
      .toArray()
      .map((r) => r.k);
    if (keys.length === 0) {
      sweepCleared(sql);
      return deleted;
    }
    try {
      await bucket.delete(keys);
    } catch (err) {
      sweepRefused(sql);
      throw err;
    }
    for (const k of keys) execute(sql, "DELETE FROM doomed_bytes WHERE r2_key = ?", k);
    deleted += keys.length;
  }
}

/** A purge whose `deleteDoomedBytes` threw `err`: what it answers, the doomed keys left counted (`bytesLeft`). */
export function bytesRefused(sql: SqlStorage, forgot: PurgeResult, err: unknown): PurgeResult {
  const bytesLeft = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM doomed_bytes").one().n;
  return { ...forgot, bytesLeft, bytesError: truncateUtf8(String(err), ERROR_BYTES) };
}
