/**
 * @module durable-objects/feed/event-log
 * A job's append-only event log in its JobFeed's SQLite. `seq` is assigned
 * here, inside one synchronous transaction, as last + 1: gapless and monotonic
 * by construction. Appends from the coordinator carry its outbox seq as
 * `source_seq` (UNIQUE), so a redelivered batch appends nothing twice — after a
 * retention purge too: the purge keeps its decision's mark, the coordinator's
 * outbox seq when it was decided (`source_base`, feed/purge), and nothing at or
 * below it — a record of the purged life — is appended again.
 */
import { utf8Bytes } from "../../core/bytes.ts";
import type { JobEvent } from "../../shared/protocol.ts";
import { execute, withLimit } from "../sql-statements.ts";

export const FEED_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  data TEXT NOT NULL,
  source_seq INTEGER UNIQUE
);
CREATE TABLE IF NOT EXISTS artifacts (
  name TEXT PRIMARY KEY,
  r2_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- R2 keys whose bytes are to be deleted — a purged, replaced or deleted pointer's, an abandoned upload's
-- (feed/upload-intents): kept until R2 confirms (feed/purge deleteDoomedBytes).
CREATE TABLE IF NOT EXISTS doomed_bytes (r2_key TEXT PRIMARY KEY);
`;

export interface NewEvent {
  /** The producer's own sequence number, for deduplication of redeliveries. */
  sourceSeq?: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/**
 * The highest seq ever assigned. After a retention prune the events are gone but `seq_base` (meta) keeps the
 * number, so a job that comes back to life continues its seq and a watcher resuming `after` it misses nothing new.
 */
export function lastSeq(sql: SqlStorage): number {
  return sql
    .exec<{ s: number }>(
      `SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0),
                  COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'seq_base'), 0)) AS s`,
    )
    .one().s;
}

/** Meta key: the highest `source_seq` of a life a retention purge forgot — its decision's mark (feed/purge `forgetLog`). */
export const SOURCE_BASE_KEY = "source_base";

/**
 * Append in order; returns the events actually added (duplicates skipped). A source seq at or below `source_base`
 * was enqueued before a purge was decided: a redelivery (its ack lost) of an event the purge forgot, or one still
 * in the outbox then — of the purged life either way, and not new. Checked against the rows alone it was appended again — a second copy, under a new seq, of an event
 * of the job's purged life.
 */
export function appendEvents(sql: SqlStorage, events: readonly NewEvent[]): JobEvent[] {
  const added: JobEvent[] = [];
  let seq = lastSeq(sql);
  const base = sql
    .exec<{ b: number }>(
      "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 0) AS b",
      SOURCE_BASE_KEY,
    )
    .one().b;
  for (const e of events) {
    if (e.sourceSeq !== undefined) {
      if (e.sourceSeq <= base) continue;
      const dup = sql.exec("SELECT 1 FROM events WHERE source_seq = ?", e.sourceSeq).toArray();
      if (dup.length > 0) continue;
    }
    seq += 1;
    execute(
      sql,
      "INSERT INTO events(seq, type, at, data, source_seq) VALUES (?, ?, ?, ?, ?)",
      seq,
      e.type,
      e.at,
      JSON.stringify(e.data),
      e.sourceSeq ?? null,
    );
    added.push({ seq, type: e.type, at: e.at, data: e.data });
  }
  return added;
}

/** Events per page — REST read, WebSocket replay step, SSE replay step alike. */
export const PAGE_EVENTS = 500;
/**
 * 512 KiB of event data per page: one page is what a watcher can have in flight, so this times the watcher cap
 * (feed/watcher-cap) bounds a JobFeed's replay memory; a single larger event still travels alone.
 */
export const PAGE_BYTES = 512 * 1024;

/**
 * Events with `seq > after`, in order: at most `limit` of them and, past the first, no more than `maxBytes` of
 * stored data (UTF-8 bytes). The cursor is read row by row, so rows past the page are never loaded.
 */
export function eventsAfter(sql: SqlStorage, after: number, limit = PAGE_EVENTS, maxBytes = PAGE_BYTES): JobEvent[] {
  // The limit is written in, not bound: a bound LIMIT re-prepares the statement on every run (sql-statements `withLimit`).
  const rows = sql.exec<{ seq: number; type: string; at: number; data: string }>(
    withLimit("SELECT seq, type, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT {limit}", limit),
    after,
  );
  const page: JobEvent[] = [];
  let bytes = 0;
  for (const r of rows) {
    bytes += utf8Bytes(r.data);
    if (page.length > 0 && bytes > maxBytes) break;
    page.push({ seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data) as Record<string, unknown> });
  }
  return page;
}

/** One replay step of a watcher (feed/ws-watchers, feed/sse): a page, the seq it reaches, and whether that is the end. */
export interface ReplayStep {
  page: JobEvent[];
  /** The last seq of the page, or `after` when it is empty. */
  through: number;
  lastSeq: number;
  /** Nothing more to replay: the watcher goes live in the same synchronous step. */
  end: boolean;
}

/**
 * The replay page after `after`. An empty page is the end too, below `lastSeq` or not: a retention purge keeps only
 * the seq it reached (`seq_base`), so a watcher resuming from before it finds no event up to there, and never will.
 * Reaching `lastSeq` was the only end before, and such a watcher was sent empty pages for ever: a WebSocket asked
 * `more` again and again, and the SSE replay spun without yielding (its writer was ready at once), wedging the feed.
 */
export function replayStep(sql: SqlStorage, after: number): ReplayStep {
  const page = eventsAfter(sql, after);
  const through = page.at(-1)?.seq ?? after;
  const last = lastSeq(sql);
  return { page, through, lastSeq: last, end: page.length === 0 || through >= last };
}
