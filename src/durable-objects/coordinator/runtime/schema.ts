/**
 * @module durable-objects/coordinator/runtime/schema
 * The ProductCoordinator's own SQLite schema. Created in the constructor under `blockConcurrencyWhile`, so no request
 * ever sees a half-made database.
 *
 * A job row holds its lease (holder, epoch, expiry) in the same row as its stage: "at most one live holder" is then
 * structural (a row has one holder column), and every claim/fence decision reads and writes one row atomically.
 * `exclusions` remembers, per (job, factory), the leases that factory lost on that job (core/exclusions): the router
 * keeps the job away from it until `until`. New tables use CREATE … IF NOT EXISTS: an existing coordinator gains
 * them on its next start.
 */

import { execute } from "../../sql-statements.ts";
import { applyEnrollmentCodeColumns } from "../access/enrollment.ts";
import { FEED_WATCHERS_SQL } from "../access/feed-readers.ts";
import { SPENT_TICKETS_SQL } from "../access/spent-tickets.ts";
import { applyBatchColumns, BATCHES_SQL } from "../jobs/batches.ts";
import { applyBucketSchema } from "../jobs/buckets.ts";
import { fillKeyHashes } from "../jobs/idempotency.ts";
import { applyRetryColumns } from "../outbox/retries.ts";
import { applyBreakerTrialColumns } from "../policies/breakers.ts";
import { applyExperimentJobColumns } from "../policies/experiments.ts";
import { applyRunCountSchema } from "../policies/factory-rates.ts";
import { applyWaitingSchema } from "../policies/health-starving.ts";
import { applyTrackRecordColumns } from "../policies/track-records.ts";
import { OUTBOX_SCHEMA_SQL, splitOutboxSides } from "./schema-outbox.ts";
import { applyRunSpendColumns, POLICY_SCHEMA_SQL } from "./schema-policies.ts";

export const SCHEMA_VERSION = 2;
/** One row per run, keyed by lease epoch (see runs.ts for why not by attempt). */
const RUNS_TABLE = `CREATE TABLE IF NOT EXISTS runs (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  factory_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  engine TEXT,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT,
  doc TEXT NOT NULL,
  PRIMARY KEY (job_id, lease_epoch)
);`;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  stage TEXT NOT NULL,
  priority_value INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  serial_key TEXT,
  idempotency_key TEXT UNIQUE,
  parent_id TEXT,
  holder_factory_id TEXT,
  lease_epoch INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER,
  not_before INTEGER,
  rev INTEGER NOT NULL DEFAULT 1,
  doc TEXT NOT NULL,
  cap_key TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_lease ON jobs(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_by_holder ON jobs(holder_factory_id) WHERE holder_factory_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs(created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_by_stage_created ON jobs(stage, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_by_parent ON jobs(parent_id, created_at) WHERE parent_id IS NOT NULL;
-- Serial-keyed jobs by stage, key and urgency (policies/serial-gates, dispatch/claim busySerialKeys): keyed by
-- serial_key alone, each gate view read every job the key ever had, its history included, to find the few queued or
-- running ones; stage first, the running keys and the live keys are read from the index alone.
CREATE INDEX IF NOT EXISTS jobs_by_stage_serial ON jobs(stage, serial_key, priority_value, queued_at, id, not_before)
  WHERE serial_key IS NOT NULL;
DROP INDEX IF EXISTS jobs_by_serial;
CREATE INDEX IF NOT EXISTS jobs_by_not_before ON jobs(not_before) WHERE not_before IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_settled ON jobs(json_extract(doc, '$.updatedAt'), id)
  WHERE stage IN ('shipped', 'dead_letter', 'cancelled');
CREATE INDEX IF NOT EXISTS jobs_keyed_by_created ON jobs(created_at) WHERE idempotency_key IS NOT NULL;
-- Issue 12: the bucket index (jobs/buckets) orders the queue; this one only cost every stage change a write.
DROP INDEX IF EXISTS jobs_by_stage;
-- Cancelled composites whose children are still to be cancelled, oldest first (coordinator/dag/cancel-subtree).
CREATE TABLE IF NOT EXISTS cancel_cascades (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  root_id TEXT NOT NULL,
  actor TEXT NOT NULL
);
-- One root's rows, oldest first: a cancel continues its own cascade (and asks whether rows are left) along this,
-- not by walking every other cascade's rows under way, once per composite it reaches.
CREATE INDEX IF NOT EXISTS cancel_cascades_by_root ON cancel_cascades(root_id, seq);
-- Settled jobs whose waiters are still to re-evaluate, oldest first, each from its last dependent examined
-- (coordinator/dag/settle-walk).
CREATE TABLE IF NOT EXISTS settle_backlog (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  after_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_deps (
  job_id TEXT NOT NULL,
  dep_id TEXT NOT NULL,
  PRIMARY KEY (dep_id, job_id)
);
${RUNS_TABLE}
CREATE TABLE IF NOT EXISTS factories (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT UNIQUE,
  status TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS enrollment_codes (
  id TEXT PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
-- Each idempotency key with a SHA-256 of the normalised request it came with (coordinator/jobs/idempotency.ts):
-- the same key with another request is a 409, not a silent replay. Written and pruned with jobs.idempotency_key.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
-- The retention pass walks keys by age (jobs/key-prune): without this, a scan and sort of 7 days of keys per pass.
CREATE INDEX IF NOT EXISTS idempotency_keys_by_created ON idempotency_keys(created_at);
CREATE TABLE IF NOT EXISTS exclusions (
  job_id TEXT NOT NULL,
  factory_id TEXT NOT NULL,
  strikes INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (job_id, factory_id)
);
CREATE INDEX IF NOT EXISTS exclusions_by_until ON exclusions(until);
-- Serial keys an operator froze (coordinator/policies/serial-gates); mirrored into settings.frozenSerialKeys in the same unit.
CREATE TABLE IF NOT EXISTS serial_freezes (
  key TEXT PRIMARY KEY,
  frozen_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
${FEED_WATCHERS_SQL}
${OUTBOX_SCHEMA_SQL}${POLICY_SCHEMA_SQL}
`;

/**
 * Create the schema, or bring an older one up to date. Idempotent; runs in the constructor at `now` (ms; bounds the
 * fill of policies/factory-rates). Each upgrade detects its own need from the table definition: no drift.
 */
export function applySchema(sql: SqlStorage, now: number = Date.now()): void {
  execute(sql, SCHEMA_SQL);
  keyRunsByEpoch(sql); // before applyRunCountSchema, whose index the rebuild would drop
  execute(sql, BATCHES_SQL + SPENT_TICKETS_SQL); // each module owns its tables' definition
  applyRunCountSchema(sql, now); // runs.retryable and the index the metrics' success ratio reads (policies/factory-rates)
  applyBatchColumns(sql); // batches.sent_at: when the bulk route confirmed its sends (jobs/batches)
  applyRetryColumns(sql); // when a failed record last failed, and which ones wait for a retry (outbox/retries)
  splitOutboxSides(sql); // each side of the outbox along its own index (runtime/schema-outbox)
  applyBucketSchema(sql); // jobs.cap_key (after the other columns: ALTER TABLE appends) and its index
  applyEnrollmentCodeColumns(sql); // what a code is bound to (access/enrollment)
  applyBreakerTrialColumns(sql); // which run is a half-open breaker's trial (policies/breakers)
  applyExperimentJobColumns(sql); // whether a job's one outcome is in its arm, and which run's (policies/experiments)
  applyTrackRecordColumns(sql); // which record counted a run (policies/track-records), after keyRunsByEpoch
  applyWaitingSchema(sql); // waiting_since and the indexes the starving page reads (policies/health-starving)
  applyRunSpendColumns(sql); // run_spend.tokens_out: a run's written part (runtime/schema-policies)
  fillKeyHashes(sql); // a hash row for each key only the jobs column holds, once (jobs/idempotency)
}

/**
 * Version 1 keyed runs by `(job_id, attempt)`, so a refunded attempt's run was overwritten by the next one. Rebuild
 * the table keyed by `(job_id, lease_epoch)` (unique per run: every claim takes a new epoch), keeping every row.
 */
function keyRunsByEpoch(sql: SqlStorage): void {
  const def = sql
    .exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
    .toArray()[0]?.sql;
  if (!def || !/PRIMARY KEY \(job_id, attempt\)/.test(def)) return;
  execute(
    sql,
    `
ALTER TABLE runs RENAME TO runs_v1;
${RUNS_TABLE}
INSERT OR IGNORE INTO runs SELECT job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at, outcome, doc FROM runs_v1;
DROP TABLE runs_v1;
`,
  );
}
