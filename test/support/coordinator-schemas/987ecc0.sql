-- The ProductCoordinator's SQLite schema as commit 987ecc0 (2026-11-23) left a coordinator: what an existing coordinator's
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
  doc TEXT NOT NULL
);
CREATE INDEX jobs_by_stage ON jobs(stage, priority_value, queued_at, id);
CREATE INDEX jobs_by_lease ON jobs(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX jobs_by_holder ON jobs(holder_factory_id) WHERE holder_factory_id IS NOT NULL;
CREATE INDEX jobs_by_created ON jobs(created_at DESC, id DESC);
CREATE INDEX jobs_by_serial ON jobs(serial_key) WHERE serial_key IS NOT NULL;
CREATE INDEX jobs_by_not_before ON jobs(not_before) WHERE not_before IS NOT NULL;
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
  PRIMARY KEY (job_id, attempt)
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
);
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  body TEXT NOT NULL
);
