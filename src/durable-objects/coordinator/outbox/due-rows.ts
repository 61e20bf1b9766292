/**
 * @module durable-objects/coordinator/outbox/due-rows
 * What a delivery round reads from the outbox, each side along its own partial index (runtime/schema-outbox
 * `splitOutboxSides`) and nothing parsed until the round takes it:
 * - history records (D1, webhooks) written by the history hold's cutoff (core/history-hold), oldest first, read
 *   along `(at, seq)` so the scan stops at the first held one;
 * - the jobs whose feed events are due — by age past the feed hold, or wanted by a reader (`at` 0), read along
 *   `(at, seq)` so the scan stops at the first young event (core/feed-hold) —
 * - and then every pending event of those jobs, along `(job_id, seq)`, so one append carries all of a job's
 *   events, young ones included.
 * A failed record waits for its own retry time, and an event also waits while an earlier event of the same job
 * waits for its retry, so a feed keeps its order. That condition is asked only while some retry is ahead.
 */
import { holdCutoff } from "../../../core/feed-hold.ts";
import { execute, withLimit } from "../../sql-statements.ts";
import { dueAtOnce, feedWanted } from "./feed-wanted.ts";
import type { OutboxKind, OutboxRecord } from "./records.ts";

/** A due record as read, its body still JSON text: a round parses only the records it takes. */
export interface DueRow {
  seq: number;
  kind: OutboxKind;
  body: string;
  /** UTF-8 bytes of `body`, counted by SQLite. */
  bytes: number;
  /** The event's job (null for history records). */
  job_id: string | null;
  attempts: number;
  /** When its delivery last failed (ms), null when it never did. */
  failed_at: number | null;
}

const COLUMNS = `o.seq, o.kind, o.body, length(CAST(o.body AS BLOB)) AS bytes, o.job_id, COALESCE(r.attempts, 0) AS attempts,
   r.failed_at AS failed_at FROM outbox o LEFT JOIN outbox_retries r ON r.seq = o.seq`;

// Limits are written in, never bound (sql-statements `withLimit`): a bound LIMIT re-prepares its statement each run.
// Fresh history rows along their index, which leaves out rows waiting for a retry (`retrying`: outbox/retries);
// those are read apart, along their retry time, only once due — thousands may wait out a queue's outage.
export const DUE_HISTORY_SQL = `SELECT o.seq, o.kind, o.body, length(CAST(o.body AS BLOB)) AS bytes, o.job_id,
   0 AS attempts, NULL AS failed_at, o.at AS at FROM outbox o
  WHERE o.kind <> 'event' AND o.retrying IS NULL AND o.at <= ?2
  ORDER BY o.at, o.seq LIMIT {limit}`;
export const DUE_RETRIED_HISTORY_SQL = `SELECT o.seq, o.kind, o.body, length(CAST(o.body AS BLOB)) AS bytes, o.job_id,
   r.attempts AS attempts, r.failed_at AS failed_at, o.at AS at
  FROM outbox_retries r INDEXED BY outbox_retries_history JOIN outbox o ON o.seq = r.seq
  WHERE r.job_id IS NULL AND r.next_at <= ?1 AND o.kind <> 'event' AND o.at <= ?2
  ORDER BY r.next_at LIMIT {limit}`;
const RIPE_SQL = `SELECT job_id, at, seq FROM outbox WHERE kind = 'event' AND at <= ?1 AND (at, seq) > (?2, ?3)
  ORDER BY at, seq LIMIT {limit}`;

/**
 * History records due at `now` (ms) and written at or before `cutoff` (ms; core/history-hold `historyCutoff`),
 * oldest first, at most `limit`. Webhook rows are written with `at` 0: never held.
 */
export function dueHistory(sql: SqlStorage, now: number, cutoff: number, limit: number): DueRow[] {
  const read = (q: string) =>
    sql.exec<DueRow & { at: number } & Record<string, SqlStorageValue>>(withLimit(q, limit), now, cutoff).toArray();
  return [...read(DUE_HISTORY_SQL), ...read(DUE_RETRIED_HISTORY_SQL)]
    .sort((a, b) => a.at - b.at || a.seq - b.seq)
    .slice(0, limit);
}

/** The write time (ms) of the oldest history record written after `cutoff` (ms): one seek along the history index. */
export function oldestHeldHistoryAt(sql: SqlStorage, cutoff: number): number | undefined {
  return sql.exec<{ at: number }>(HELD_HISTORY_SQL, cutoff).toArray()[0]?.at;
}
/** Along the fresh history index: a record waiting for its retry is not held, it waits for its retry time. */
export const HELD_HISTORY_SQL =
  "SELECT at FROM outbox WHERE kind <> 'event' AND retrying IS NULL AND at > ? ORDER BY at, seq LIMIT 1";

/**
 * Jobs with a feed event due by the hold at `cutoff` (ms; core/feed-hold `holdCutoff`) — wanted ones first, then
 * by age — each once, page by page: stop iterating and the pages after are never read. `scan.cut` is set when it
 * read `limit` rows: ripe ones may lie past them.
 */
export function* ripeFeedJobs(
  sql: SqlStorage,
  cutoff: number,
  limit: number,
  scan: { cut: boolean } = { cut: false },
): Generator<{ jobId: string; wanted: boolean }> {
  const seen = new Set<string>();
  let after: [number, number] = [-1, -1];
  // Pages, each read to its end: a round usually stops early (the feed budget), and a cursor left part-read would
  // keep its SQLite cursors open until GC (durable-objects/sql-statements). Keyset (at, seq), growing pages.
  // Page sizes come from a fixed set (16, ×4, up to `limit`), each its own SQL text; rows past `limit` are not looked at.
  for (let page = Math.min(RIPE_FIRST_PAGE, limit), read = 0; read < limit; page = Math.min(page * 4, limit)) {
    const rows = sql
      .exec<{ job_id: string; at: number; seq: number }>(withLimit(RIPE_SQL, page), cutoff, after[0], after[1])
      .toArray()
      .slice(0, limit - read);
    for (const r of rows) {
      if (seen.has(r.job_id)) continue;
      seen.add(r.job_id);
      yield { jobId: r.job_id, wanted: r.at === 0 };
    }
    read += rows.length;
    const last = rows[rows.length - 1];
    if (!last || rows.length < page) return;
    after = [last.at, last.seq];
  }
  scan.cut = true;
}

/** The ripe-feed scan's first page: most rounds admit a few feeds (or none, at the budget's pace) and stop. */
const RIPE_FIRST_PAGE = 16;

/** When the oldest held feed event was written (ms), or undefined when none is held at `cutoff` (ms). */
export function oldestHeldAt(sql: SqlStorage, cutoff: number): number | undefined {
  const at = sql
    .exec<{ at: number }>("SELECT at FROM outbox WHERE kind = 'event' AND at > ? ORDER BY at, seq LIMIT 1", cutoff)
    .toArray()[0]?.at;
  return at;
}

/** Whether any record waits for a retry after `now` (ms): one seek along `outbox_retries_next`. */
export function retryAhead(sql: SqlStorage, now: number): boolean {
  return sql.exec("SELECT 1 FROM outbox_retries WHERE next_at > ? LIMIT 1", now).toArray().length > 0;
}

/**
 * When `jobId`'s first pending event is next tried (ms), if after `now` (ms): then none of its events is due (a feed
 * keeps its order; `dueEvents`). Undefined when it is due. One seek along `outbox_events_by_job`, one along the
 * retries' primary key.
 */
export function jobRetryAt(sql: SqlStorage, jobId: string, now: number): number | undefined {
  const first = sql
    .exec<{ next_at: number | null }>(
      `SELECT r.next_at AS next_at FROM outbox o LEFT JOIN outbox_retries r ON r.seq = o.seq
        WHERE o.kind = 'event' AND o.job_id = ? ORDER BY o.seq LIMIT 1`,
      jobId,
    )
    .toArray()[0]?.next_at;
  return first != null && first > now ? first : undefined;
}

/**
 * `jobId`'s events, none due before its first one's retry at `until` (ms; `jobRetryAt`), leave the ripe-feed scan
 * until then: each one's `at` is moved up to the enqueue time the feed hold lets go at `until` (core/feed-hold
 * `holdCutoff`; never moved back). Passed over in place, a chatty job's log refused by its feed filled the scan's
 * OUTBOX_SCAN rows every round, and the jobs behind it waited for its retries. One write per event per retry, along
 * `outbox_events_by_job`; a job's wanted events (`at` 0) are parked too, and wait as any other from then on.
 */
export function parkBlockedJob(sql: SqlStorage, jobId: string, until: number): void {
  execute(sql, "UPDATE outbox SET at = ?1 WHERE kind = 'event' AND job_id = ?2 AND at < ?1", holdCutoff(until), jobId);
}

/**
 * `jobId`'s parked events (`parkBlockedJob`) are ripe again at `now` (ms): the event they waited behind went early
 * (a reader's flush: outbox/retries `releaseBlocked`). A round parks them again if their first one still waits. A
 * watched job's are due at once (`at` 0), as a read feed's: ripe by age only, with every feed slot taken the ripe scan
 * (which then reads `at` 0 rows only) left them for a slot to free.
 */
export function unparkJob(sql: SqlStorage, jobId: string, now: number): void {
  if (feedWanted(sql, jobId, now)) dueAtOnce(sql, jobId);
  else
    execute(sql, "UPDATE outbox SET at = ?1 WHERE kind = 'event' AND job_id = ?2 AND at > ?1", holdCutoff(now), jobId);
}

/**
 * Every event of `jobs` due at `now` (ms) for delivery (retry times and per-job order kept), in seq order.
 * `waiting`: `retryAhead` at `now`, when the caller asked it already.
 */
export function dueEvents(
  sql: SqlStorage,
  now: number,
  jobs: readonly string[],
  limit: number,
  waiting?: boolean,
): DueRow[] {
  if (jobs.length === 0) return [];
  const ordered =
    (waiting ?? retryAhead(sql, now))
      ? `AND NOT EXISTS (
         SELECT 1 FROM outbox_retries w WHERE w.job_id = o.job_id AND w.next_at > ?1 AND w.seq < o.seq)`
      : "";
  return sql
    .exec<DueRow & Record<string, SqlStorageValue>>(
      withLimit(
        `SELECT ${COLUMNS}
          WHERE o.kind = 'event' AND o.job_id IN (SELECT value FROM json_each(?2))
            AND (r.next_at IS NULL OR r.next_at <= ?1) ${ordered}
          ORDER BY o.seq LIMIT {limit}`,
        limit,
      ),
      now,
      JSON.stringify(jobs),
    )
    .toArray();
}

/**
 * `jobId`'s pending events through outbox seq `through`, in seq order, at most `limit` — retry times not waited for:
 * what a reader's flush ships (outbox/shipper `flushFeed`) of the feed it is about to read. An event waiting for its
 * retry held every later event of its job back with it (per-job order), so a read in that time saw none of them.
 */
export function heldEvents(sql: SqlStorage, jobId: string, through: number, limit: number): DueRow[] {
  return sql
    .exec<DueRow & Record<string, SqlStorageValue>>(
      withLimit(
        `SELECT ${COLUMNS} WHERE o.kind = 'event' AND o.job_id = ?1 AND o.seq <= ?2 ORDER BY o.seq LIMIT {limit}`,
        limit,
      ),
      jobId,
      through,
    )
    .toArray();
}

/**
 * `jobId`'s pending events after outbox seq `seq` that a try was counted against already (its feed refused them), in
 * seq order: those a refusing feed's dead-lettered event leaves behind (outbox/refused-feed).
 */
export function refusedEventsAfter(sql: SqlStorage, jobId: string, seq: number): DueRow[] {
  return sql
    .exec<DueRow & Record<string, SqlStorageValue>>(
      `SELECT ${COLUMNS} WHERE o.kind = 'event' AND o.job_id = ?1 AND o.seq > ?2 AND r.attempts > 0 ORDER BY o.seq`,
      jobId,
      seq,
    )
    .toArray();
}

/** The outbox seq of `jobId`'s last pending event, or undefined when none is (along the events-by-job index). */
export function lastHeldSeq(sql: SqlStorage, jobId: string): number | undefined {
  const row = sql
    .exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM outbox WHERE kind = 'event' AND job_id = ?", jobId)
    .toArray()[0];
  return row?.seq ?? undefined;
}

/** The outbox holds only what `enqueue` wrote: a row's kind names its body's type. */
export function parseRow(r: DueRow): OutboxRecord {
  const failedAt = r.failed_at ?? undefined;
  return { seq: r.seq, kind: r.kind, body: JSON.parse(r.body), attempts: r.attempts, failedAt } as OutboxRecord;
}
