/**
 * @module durable-objects/coordinator/outbox/retries
 * When a record the coordinator could not deliver is tried again: its retry schedule (`outbox_retries`: tries, next
 * time, last error, when it last failed), a refusing queue's unblamed wait, and the outbox's next retry time — and,
 * after the last try, its dead letter (outbox/dead-letters).
 */

import { truncateUtf8 } from "../../../core/bytes.ts";
import { afterFailure, type RetryDecision, retryDelayMs } from "../../../core/delivery-retry.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";
import { deadLetterRecord } from "./dead-letters.ts";
import { unparkJob } from "./due-rows.ts";
import type { OutboxRecord } from "./records.ts";

/**
 * A delivery of `r` failed with `error`: schedule its next try, or dead-letter it
 * once MAX_DELIVERY_ATTEMPTS tries have failed (core/delivery-retry).
 * @returns what was decided
 */
export function recordFailure(tx: Tx, r: OutboxRecord, error: string): RetryDecision {
  const decision = afterFailure(r.attempts, tx.now, error);
  if (decision.kind === "dead_letter") {
    deadLetterRecord(tx, r, decision.reason, decision.attempts);
    return decision;
  }
  scheduleRetry(tx, r, decision.attempts, decision.nextAt, error);
  return decision;
}

/**
 * A send of `r` to a queue that took nothing to show it up (core/delivery-retry `blamesRecord`): tried again in
 * `waitMs`, its count of tries unchanged — an outage is not the record's fault. It now travels alone, as a record
 * that failed (outbox/queue-units), so a poison one cannot take the records packed beside it down with it again.
 */
export function waitForQueue(tx: Tx, r: OutboxRecord, error: string, waitMs: number): void {
  scheduleRetry(tx, r, r.attempts, tx.now + waitMs, error);
}

function scheduleRetry(tx: Tx, r: OutboxRecord, attempts: number, nextAt: number, error: string): void {
  execute(
    tx.sql,
    `INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(seq) DO UPDATE SET attempts = excluded.attempts, next_at = excluded.next_at,
       last_error = excluded.last_error, failed_at = excluded.failed_at`,
    r.seq,
    attempts,
    nextAt,
    truncateUtf8(error, 1024),
    r.kind === "event" ? r.body.jobId : null,
    tx.now,
  );
  // Off the fresh history index (outbox/due-rows): a round reads it by its retry time from now on, not in passing.
  execute(tx.sql, "UPDATE outbox SET retrying = 1 WHERE seq = ? AND retrying IS NULL", r.seq);
  // A feed keeps its order: the job's later events waiting for a retry cannot go before this one, so none is due
  // before it. Left past due, blocked, they were `nextRetryAt` — a round each second that sent nothing, up to 254 s a
  // refusing feed. One seek along (job_id, next_at), writing only the rows behind it that were due sooner.
  if (r.kind === "event")
    execute(
      tx.sql,
      "UPDATE outbox_retries SET next_at = ?1 WHERE job_id = ?2 AND next_at < ?1 AND seq > ?3",
      nextAt,
      r.body.jobId,
      r.seq,
    );
}

/**
 * `outbox_retries.failed_at`: when the record's delivery last failed (ms), which `blamesRecord` weighs; and
 * `outbox.retrying`, set once a record has a retry row, which the history index leaves out: a queue outage no longer
 * dead-letters its records, so thousands may wait, and each round read all of them to find the due ones behind them.
 * Runs before runtime/schema-outbox `splitOutboxSides` creates that index (its older form is dropped here, to be rebuilt).
 */
export function applyRetryColumns(sql: SqlStorage): void {
  if (!columnsOf(sql, "outbox_retries").has("failed_at"))
    execute(sql, "ALTER TABLE outbox_retries ADD COLUMN failed_at INTEGER");
  if (!columnsOf(sql, "outbox").has("retrying")) {
    execute(sql, "ALTER TABLE outbox ADD COLUMN retrying INTEGER");
    execute(sql, "UPDATE outbox SET retrying = 1 WHERE seq IN (SELECT seq FROM outbox_retries)");
    execute(sql, "DROP INDEX IF EXISTS outbox_history_due");
  }
  execute(sql, "CREATE INDEX IF NOT EXISTS outbox_retries_history ON outbox_retries(next_at) WHERE job_id IS NULL");
  // Every retry by its time: `nextRetryAt`'s MIN and the due events' "is any retry ahead" probe are seeks. Without
  // it both read every waiting record, each round, for as long as a queue outage kept thousands of them waiting.
  execute(sql, "CREATE INDEX IF NOT EXISTS outbox_retries_next ON outbox_retries(next_at)");
}

/**
 * `jobId`'s events waiting for a retry are due at their own retry times again (ms: when each last failed plus its
 * backoff, core/delivery-retry `retryDelayMs`), none sooner than an earlier one of the job still waiting — after a
 * reader's flush (outbox/shipper `flushFeed`) delivered the event they were moved up behind (`scheduleRetry`) and
 * stopped: left at its later time, they kept a live reader waiting up to 128 s for events that could go now. Only
 * ever moves a time sooner. A read of the job's retry rows along `outbox_retries_by_job`; the job's events parked
 * out of the ripe-feed scan are ripe again at `now` (ms).
 */
export function releaseBlocked(sql: SqlStorage, jobId: string, now: number): void {
  unparkJob(sql, jobId, now); // out of the ripe-feed scan until the old time (outbox/due-rows `parkBlockedJob`)
  type Row = { seq: number; attempts: number; failed_at: number | null; next_at: number };
  const rows = sql
    .exec<Row>("SELECT seq, attempts, failed_at, next_at FROM outbox_retries WHERE job_id = ? ORDER BY seq", jobId)
    .toArray();
  let earliest = Number.MIN_SAFE_INTEGER;
  for (const r of rows) {
    // An event's retry row is written by `recordFailure` only: its own time is its failure plus its backoff.
    const own = r.failed_at === null ? r.next_at : r.failed_at + retryDelayMs(r.attempts);
    const at = Math.min(r.next_at, Math.max(own, earliest));
    if (at < r.next_at) execute(sql, "UPDATE outbox_retries SET next_at = ? WHERE seq = ?", at, r.seq);
    earliest = at;
  }
}

/**
 * When the earliest scheduled retry after `after` (ms; any, when omitted) is due (ms), if any record waits for one — a
 * seek along `outbox_retries_next`. Honest for feed events: one blocked behind an earlier event of its job waiting for
 * a retry is due no sooner than it (`scheduleRetry`).
 */
export function nextRetryAt(sql: SqlStorage, after = Number.MIN_SAFE_INTEGER): number | undefined {
  return (
    sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox_retries WHERE next_at > ?", after).one().t ??
    undefined
  );
}
