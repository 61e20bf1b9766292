/**
 * @module durable-objects/coordinator/runtime/schema-outbox
 * The coordinator's outbox tables (part of runtime/schema SCHEMA_SQL): the outbox itself (records a unit wrote, shipped
 * after its commit by outbox/shipper), the failed records' own retry schedule (outbox/retries) and the records given up
 * on (outbox/dead-letters) — and the upgrade that reads each side of the outbox, feed events and history records,
 * along its own partial index (`splitOutboxSides`, run by runtime/schema `applySchema`).
 */

import { columnsOf, execute } from "../../sql-statements.ts";

/** The outbox's tables, created with the rest of the schema (CREATE … IF NOT EXISTS: an older coordinator gains them). */
export const OUTBOX_SCHEMA_SQL = `CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  job_id TEXT,
  at INTEGER NOT NULL DEFAULT 0
);
-- Outbox records whose delivery failed: their own retry schedule (outbox/retries).
CREATE TABLE IF NOT EXISTS outbox_retries (
  seq INTEGER PRIMARY KEY,
  attempts INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  job_id TEXT
);
CREATE INDEX IF NOT EXISTS outbox_retries_by_job ON outbox_retries(job_id, next_at) WHERE job_id IS NOT NULL;
-- Records given up on (outbox after its last try, or DLQ messages D1 refused): kept, never dropped.
CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  at INTEGER NOT NULL
);
-- Listed by keyset on (at, id), newest first (outbox/dead-letters): the id orders the many of one millisecond.
CREATE INDEX IF NOT EXISTS dead_letters_by_at_id ON dead_letters(at, id);
DROP INDEX IF EXISTS dead_letters_by_time;
`;

/**
 * The outbox's two sides (feed events, history records) each read along their own partial index, an event's job
 * kept as a column (outbox/records `dueRows`), and a row's enqueue time `at` (0: due at once) for the feed hold
 * (core/feed-hold) and the history hold (core/history-hold): the round used to read every row and parse its body
 * with `json_extract` — 15 % of the coordinator's CPU in the throughput profile (bench/README, issue 12). Rows from
 * before are filled in once; history rows from before the history hold have `at` 0, so they are due at once.
 */
export function splitOutboxSides(sql: SqlStorage): void {
  const cols = columnsOf(sql, "outbox");
  if (!cols.has("job_id")) execute(sql, "ALTER TABLE outbox ADD COLUMN job_id TEXT");
  if (!cols.has("at")) execute(sql, "ALTER TABLE outbox ADD COLUMN at INTEGER NOT NULL DEFAULT 0");
  if (!cols.has("job_id")) {
    execute(sql, "UPDATE outbox SET job_id = json_extract(body, '$.jobId') WHERE kind = 'event' AND job_id IS NULL");
  }
  execute(
    sql,
    `
CREATE INDEX IF NOT EXISTS outbox_history_due ON outbox(at, seq) WHERE kind <> 'event' AND retrying IS NULL;
CREATE INDEX IF NOT EXISTS outbox_events_by_job ON outbox(job_id, seq) WHERE kind = 'event';
CREATE INDEX IF NOT EXISTS outbox_events_due ON outbox(at, seq) WHERE kind = 'event';
DROP INDEX IF EXISTS outbox_events; DROP INDEX IF EXISTS outbox_history;
`,
  );
}
