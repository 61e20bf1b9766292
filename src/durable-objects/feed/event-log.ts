/**
 * @module durable-objects/feed/event-log
 * A job's append-only event log in its JobFeed's SQLite. `seq` is assigned
 * here, inside one synchronous transaction, as last + 1: gapless and monotonic
 * by construction. Appends from the coordinator carry its outbox seq as
 * `source_seq` (UNIQUE), so a redelivered batch appends nothing twice.
 */
import type { JobEvent } from "../../shared/protocol.ts";

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
`;

export interface NewEvent {
  /** The producer's own sequence number, for deduplication of redeliveries. */
  sourceSeq?: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

export function lastSeq(sql: SqlStorage): number {
  return sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM events").one().s ?? 0;
}

/** Append in order; returns the events actually added (duplicates skipped). */
export function appendEvents(sql: SqlStorage, events: readonly NewEvent[]): JobEvent[] {
  const added: JobEvent[] = [];
  let seq = lastSeq(sql);
  for (const e of events) {
    if (e.sourceSeq !== undefined) {
      const dup = sql.exec("SELECT 1 FROM events WHERE source_seq = ?", e.sourceSeq).toArray();
      if (dup.length > 0) continue;
    }
    seq += 1;
    sql.exec(
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

export function eventsAfter(sql: SqlStorage, after: number, limit: number): JobEvent[] {
  return sql
    .exec<{ seq: number; type: string; at: number; data: string }>(
      "SELECT seq, type, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
      after,
      limit,
    )
    .toArray()
    .map((r) => ({ seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data) as Record<string, unknown> }));
}
