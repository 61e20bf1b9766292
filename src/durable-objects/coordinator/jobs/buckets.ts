/**
 * @module durable-objects/coordinator/jobs/buckets
 * The capability buckets of the queue (issue 12 item 4): every job row carries `cap_key` (core/capability-key, the
 * canonical set of capabilities a factory needs to run it), written by `saveJob` (jobs/rows) with the rest of the
 * row, and `jobs_by_bucket` orders the queued jobs of each bucket by priority and age. Dispatch and claims merge
 * the buckets some free factory can run (dispatch/urgency-order) and never read the others.
 *
 * Which buckets exist is read from that same index with a loose index scan — one B-tree seek per distinct key —
 * rather than kept as counts in a second table: the index is written in the same statement as the row, so it is
 * exact under any rollback by construction, with nothing in memory to forget and nothing to drift.
 *
 * Coordinators created before the column existed gain it on their next start (`applyBucketSchema`): the column
 * is added, and every queued row lacking a key gets one. Rows in other stages gain theirs on their next save,
 * which is the only way back into `queued`.
 */
import { capabilitiesOfKey, capabilityKey } from "../../../core/capability-key.ts";
import type { Job } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";

/**
 * Queued jobs per bucket, per priority class, oldest first. `not_before` trails so the urgency cursors' due check
 * is answered from the index (a covering scan: no row, let alone its document, is read to order the queue).
 */
export const BUCKET_INDEX_SQL =
  "CREATE INDEX IF NOT EXISTS jobs_by_bucket ON jobs(stage, cap_key, priority_value, queued_at, id, not_before)";

/** The next bucket key after `?1` among queued jobs: one seek (tests read its query plan). */
export const NEXT_BUCKET_SQL =
  "SELECT cap_key FROM jobs WHERE stage = 'queued' AND cap_key > ?1 ORDER BY cap_key LIMIT 1";

/**
 * The next (bucket key, priority class) after `(?1, ?2)` among queued jobs: one seek along the same index (tests read
 * its plan). The urgency walk (dispatch/urgency-order) opens cursors only for these: an empty class costs none.
 */
export const NEXT_CLASS_SQL = `SELECT cap_key, priority_value FROM jobs
  WHERE stage = 'queued' AND (cap_key, priority_value) > (?1, ?2) ORDER BY cap_key, priority_value LIMIT 1`;

/** Rows keyed per statement when back-filling: bounds one statement's bindings and memory. */
const BACKFILL_BATCH = 500;

/** A bucket of queued jobs: its key and the capabilities it stands for. */
export interface Bucket {
  key: string;
  capabilities: string[];
}

/**
 * Add the `cap_key` column and its index where they are missing, and key every queued row that lacks a key.
 * Idempotent; runs with the schema (runtime/schema) on every start. The check for unkeyed rows is one index seek.
 */
export function applyBucketSchema(sql: SqlStorage): void {
  const def = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").one();
  if (!/\bcap_key\b/.test(def.sql)) execute(sql, "ALTER TABLE jobs ADD COLUMN cap_key TEXT");
  execute(sql, BUCKET_INDEX_SQL);
  for (;;) {
    const rows = sql
      .exec<{ id: string; requires: string | null; engine: string | null }>(
        `SELECT id, json_extract(doc, '$.requires') AS requires, json_extract(doc, '$.engine') AS engine
           FROM jobs WHERE stage = 'queued' AND cap_key IS NULL LIMIT ${BACKFILL_BATCH}`,
      )
      .toArray();
    for (const r of rows) {
      const job: Pick<Job, "requires" | "engine"> = {
        requires: r.requires ? (JSON.parse(r.requires) as string[]) : [],
        ...(r.engine ? { engine: r.engine } : {}),
      };
      execute(sql, "UPDATE jobs SET cap_key = ?1 WHERE id = ?2", capabilityKey(job), r.id);
    }
    if (rows.length < BACKFILL_BATCH) return;
  }
}

/** Whether any job is queued (due or not): one seek of the bucket index. */
export function anyQueued(sql: SqlStorage): boolean {
  return sql.exec(NEXT_BUCKET_SQL, "").toArray().length > 0;
}

/**
 * The buckets that hold at least one queued job (due or not), in key order. Cost: one index seek per bucket plus
 * one, whatever the depth of the queue.
 */
export function queuedBuckets(sql: SqlStorage): Bucket[] {
  const out: Bucket[] = [];
  // Every key is a JSON array, so it sorts after "".
  let after = "";
  for (;;) {
    const row = sql.exec<{ cap_key: string }>(NEXT_BUCKET_SQL, after).toArray()[0];
    if (!row) return out;
    out.push({ key: row.cap_key, capabilities: capabilitiesOfKey(row.cap_key) });
    after = row.cap_key;
  }
}

/**
 * The first queued (bucket key, priority class) after `after` in key, then class, order — one seek along
 * `jobs_by_bucket` — or undefined past the last. After `[key, Number.MAX_SAFE_INTEGER]`: the next bucket's first class.
 */
export function nextClass(sql: SqlStorage, after: [string, number]): [string, number] | undefined {
  const row = sql.exec<{ cap_key: string; priority_value: number }>(NEXT_CLASS_SQL, after[0], after[1]).toArray()[0];
  return row ? [row.cap_key, row.priority_value] : undefined;
}
