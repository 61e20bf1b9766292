-- The ProductCoordinator's SQLite schema as commit 0379b4e (2026-12-04) left a coordinator: what an existing coordinator's
-- storage holds when new code starts on it (test/unit/coordinator-schema-upgrade). Dumped from sqlite_master, as made.
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE jobs (
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
, waiting_since INTEGER);
CREATE INDEX jobs_by_lease ON jobs(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX jobs_by_holder ON jobs(holder_factory_id) WHERE holder_factory_id IS NOT NULL;
CREATE INDEX jobs_by_created ON jobs(created_at DESC, id DESC);
CREATE INDEX jobs_by_stage_created ON jobs(stage, created_at DESC, id DESC);
CREATE INDEX jobs_by_parent ON jobs(parent_id, created_at) WHERE parent_id IS NOT NULL;
CREATE INDEX jobs_by_serial ON jobs(serial_key) WHERE serial_key IS NOT NULL;
CREATE INDEX jobs_by_not_before ON jobs(not_before) WHERE not_before IS NOT NULL;
CREATE INDEX jobs_settled ON jobs(json_extract(doc, '$.updatedAt'), id)
  WHERE stage IN ('shipped', 'dead_letter', 'cancelled');
CREATE INDEX jobs_keyed_by_created ON jobs(created_at) WHERE idempotency_key IS NOT NULL;
CREATE TABLE cancel_cascades (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  root_id TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE TABLE job_deps (
  job_id TEXT NOT NULL,
  dep_id TEXT NOT NULL,
  PRIMARY KEY (dep_id, job_id)
);
CREATE TABLE runs (
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
);
CREATE TABLE factories (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT UNIQUE,
  status TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE enrollment_codes (
  id TEXT PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
, name TEXT, seat_limit INTEGER, created_by TEXT, revoked_at INTEGER);
CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX idempotency_keys_by_created ON idempotency_keys(created_at);
CREATE TABLE exclusions (
  job_id TEXT NOT NULL,
  factory_id TEXT NOT NULL,
  strikes INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (job_id, factory_id)
);
CREATE INDEX exclusions_by_until ON exclusions(until);
CREATE TABLE serial_freezes (
  key TEXT PRIMARY KEY,
  frozen_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE feed_watchers (
  token_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  PRIMARY KEY (token_hash, job_id)
);
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  job_id TEXT,
  at INTEGER NOT NULL DEFAULT 0
, retrying INTEGER);
CREATE TABLE outbox_retries (
  seq INTEGER PRIMARY KEY,
  attempts INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  job_id TEXT
, failed_at INTEGER);
CREATE INDEX outbox_retries_by_job ON outbox_retries(job_id, next_at) WHERE job_id IS NOT NULL;
CREATE TABLE dead_letters (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX dead_letters_by_at_id ON dead_letters(at, id);
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  state TEXT NOT NULL,
  severity TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_live ON alerts(kind, subject) WHERE state <> 'resolved';
CREATE INDEX alerts_by_state ON alerts(state, opened_at DESC, id DESC);
CREATE TABLE job_activity (
  job_id TEXT PRIMARY KEY,
  at INTEGER NOT NULL
);
CREATE TABLE budget (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  doc TEXT NOT NULL
);
CREATE TABLE run_spend (
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  tokens INTEGER NOT NULL,
  PRIMARY KEY (job_id, lease_epoch)
);
CREATE TABLE stop_notices (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  factory_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE serial_holds (
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  serial_key TEXT NOT NULL,
  factory_id TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (job_id, lease_epoch)
);
CREATE INDEX serial_holds_by_until ON serial_holds(until);
CREATE TABLE breakers (
  factory_id TEXT NOT NULL,
  engine TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  open_until INTEGER,
  cool_down_s INTEGER,
  trial_out INTEGER NOT NULL DEFAULT 0, trial_job_id TEXT, trial_epoch INTEGER,
  PRIMARY KEY (factory_id, engine)
);
CREATE TABLE error_budgets (
  factory_id TEXT PRIMARY KEY,
  failures TEXT NOT NULL
);
CREATE TABLE metric_counters (
  name TEXT PRIMARY KEY,
  value REAL NOT NULL
);
CREATE TABLE lessons (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  trigger TEXT,
  subject TEXT,
  updated_at INTEGER NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL
);
CREATE INDEX lessons_by_updated ON lessons(updated_at DESC, id DESC);
CREATE INDEX lessons_by_key ON lessons(trigger, subject, updated_at) WHERE trigger IS NOT NULL;
CREATE TABLE track_records (
  factory_id TEXT NOT NULL,
  engine TEXT NOT NULL,
  job_class TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (factory_id, engine, job_class)
);
CREATE INDEX track_records_by_updated ON track_records(updated_at);
CREATE INDEX track_records_by_key ON track_records(engine, job_class);
CREATE TABLE routing_rules (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE experiments (
  id TEXT PRIMARY KEY,
  job_class TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE experiment_jobs (
  job_id TEXT PRIMARY KEY,
  experiment_id TEXT NOT NULL,
  arm TEXT NOT NULL
);
CREATE TABLE batches (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, total INTEGER NOT NULL);
CREATE INDEX batches_by_created ON batches(created_at);
CREATE TABLE batch_items (
  batch_id TEXT NOT NULL, idx INTEGER NOT NULL, created_at INTEGER NOT NULL,
  key TEXT, hash TEXT, status TEXT NOT NULL, job_id TEXT, code TEXT,
  PRIMARY KEY (batch_id, idx)
);
CREATE INDEX batch_items_by_created ON batch_items(created_at);
CREATE INDEX batch_items_queued_by_key ON batch_items(key) WHERE status = 'queued';
CREATE TABLE spent_tickets (
  ticket_hash TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX spent_tickets_by_expiry ON spent_tickets(expires_at);
CREATE INDEX outbox_retries_history ON outbox_retries(next_at) WHERE job_id IS NULL;
CREATE INDEX outbox_history_due ON outbox(at, seq) WHERE kind <> 'event' AND retrying IS NULL;
CREATE INDEX outbox_events_by_job ON outbox(job_id, seq) WHERE kind = 'event';
CREATE INDEX outbox_events_due ON outbox(at, seq) WHERE kind = 'event';
CREATE INDEX jobs_by_bucket ON jobs(stage, cap_key, priority_value, queued_at, id, not_before);
CREATE INDEX jobs_waiting_since ON jobs(waiting_since, id) WHERE waiting_since IS NOT NULL AND stage = 'queued';
