/**
 * @module durable-objects/coordinator/runtime/schema-policies
 * The tables of the coordinator's policies (issues 9 and 11: alerts and activity, budgets, breakers, error budgets,
 * metrics counters, the lessons mirror, track records, routing rules, experiments; serial stop holds), part of
 * SCHEMA_SQL (runtime/schema). Every table is CREATE … IF NOT EXISTS, so an existing coordinator gains them on its next start.
 */

import { columnsOf, execute } from "../../sql-statements.ts";

export const POLICY_SCHEMA_SQL = `
-- Alerts (coordinator/policies/alerts): one live (open/acknowledged) row per kind + subject at most.
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  state TEXT NOT NULL,
  severity TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_live ON alerts(kind, subject) WHERE state <> 'resolved';
CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts(state, opened_at DESC, id DESC);
-- One state's page, newest first by id (policies/alerts listAlerts): a range, not a walk of every alert.
CREATE INDEX IF NOT EXISTS alerts_by_state_id ON alerts(state, id);
-- When each job last reported anything while it could be building: what "stuck" is measured from (policies/health-check).
CREATE TABLE IF NOT EXISTS job_activity (
  job_id TEXT PRIMARY KEY,
  at INTEGER NOT NULL
);
-- The product budget, one row (coordinator/policies/budget); what each run reported so far (policies/run-spend), so
-- cumulative reports accrue only their increase; cancels for holders, pushed after the unit commits (factories/notices).
CREATE TABLE IF NOT EXISTS budget (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  doc TEXT NOT NULL
);
-- tokens_out: of tokens, the written part (the reports' highest tokensOut); NULL when unknown (applyRunSpendColumns).
CREATE TABLE IF NOT EXISTS run_spend (
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  tokens INTEGER NOT NULL,
  tokens_out INTEGER,
  PRIMARY KEY (job_id, lease_epoch)
);
-- Of a run's tokens, those its last report said no USD came for (policies/unpriced-spend; core/unpriced): a row only
-- for a run that had some, so a priced run (most of them) costs no write. counted: how many of them the budget
-- period starting period_start (ms) counted (core/unpriced periodShare).
CREATE TABLE IF NOT EXISTS run_unpriced (
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  period_start INTEGER NOT NULL DEFAULT 0,
  counted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, lease_epoch)
);
-- Of a run's charge, the part estimated at the operator's prices for its unpriced tokens (policies/estimate-spend;
-- core/price-estimate), USD on top of its run_spend mark: a row only for a run ever estimated. counted: how much of it
-- (USD) the budget period starting period_start (ms) counted in its estimatedUsd (core/price-estimate estimateShare).
CREATE TABLE IF NOT EXISTS run_estimate (
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  usd REAL NOT NULL,
  period_start INTEGER NOT NULL DEFAULT 0,
  counted REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, lease_epoch)
);
CREATE TABLE IF NOT EXISTS stop_notices (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  factory_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  reason TEXT NOT NULL
);
-- Drains for factories a unit quarantined on its own (policies/quarantine), pushed after it commits (factories/notices).
CREATE TABLE IF NOT EXISTS drain_notices (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  factory_id TEXT NOT NULL,
  reason TEXT NOT NULL
);
-- Serial keys held by a run whose lease was taken by force or lapsed, while its factory stops it (core/serial-holds): until
-- that factory's stopped frame for the run, or until (the old lease's expiry plus the agent's lapse grace) at the latest.
CREATE TABLE IF NOT EXISTS serial_holds (
  job_id TEXT NOT NULL,
  lease_epoch INTEGER NOT NULL,
  serial_key TEXT NOT NULL,
  factory_id TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (job_id, lease_epoch)
);
CREATE INDEX IF NOT EXISTS serial_holds_by_until ON serial_holds(until);
-- Circuit breakers per factory × engine (core/breaker; engine '*' = the factory's default engine). No row = closed.
-- The trial's run (trial_job_id, trial_epoch) and the reset's instant (reset_at) are added by applyBreakerTrialColumns.
CREATE TABLE IF NOT EXISTS breakers (
  factory_id TEXT NOT NULL,
  engine TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  open_until INTEGER,
  cool_down_s INTEGER,
  trial_out INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (factory_id, engine)
);
-- Each factory's recent failed runs (core/error-budget): a JSON array of ms instants, at most maxFailures + 1.
CREATE TABLE IF NOT EXISTS error_budgets (
  factory_id TEXT PRIMARY KEY,
  failures TEXT NOT NULL
);
-- Monotonic counters and histogram buckets, bumped in the unit of their event (coordinator/policies/metrics).
CREATE TABLE IF NOT EXISTS metric_counters (
  name TEXT PRIMARY KEY,
  value REAL NOT NULL
);
-- The lessons journal's mirror (coordinator/policies/lesson-rows): the newest lessons, read synchronously when an
-- assign frame is built; every write also goes to D1 (the store of record) through the outbox as a 'lesson' record.
CREATE TABLE IF NOT EXISTS lessons (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  trigger TEXT,
  subject TEXT,
  updated_at INTEGER NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lessons_by_updated ON lessons(updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS lessons_by_key ON lessons(trigger, subject, updated_at) WHERE trigger IS NOT NULL;
-- Decayed track records per (factory, engine, job class) (core/track-record; coordinator/policies/track-records);
-- bounded: the least recently updated rows go first.
CREATE TABLE IF NOT EXISTS track_records (
  factory_id TEXT NOT NULL,
  engine TEXT NOT NULL,
  job_class TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (factory_id, engine, job_class)
);
CREATE INDEX IF NOT EXISTS track_records_by_updated ON track_records(updated_at);
-- The learned term's reference set reads one (engine, class) per pass (policies/track-records RECORDS_OF_KEY_SQL).
CREATE INDEX IF NOT EXISTS track_records_by_key ON track_records(engine, job_class);
-- Operator routing rules (core/routing-rules): prefer/avoid score adjustments.
CREATE TABLE IF NOT EXISTS routing_rules (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
-- Guarded experiments (issue 11 part 4, policies/experiments): doc = core/experiment Experiment.
CREATE TABLE IF NOT EXISTS experiments (
  id TEXT PRIMARY KEY,
  job_class TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
-- The arm each dispatched job of a running experiment was routed by; cleared when the experiment ends. counted:
-- 1 once the job's first counted run is in its arm: one outcome per job (policies/experiments); counted_epoch: that
-- run's lease epoch, whose cost a late charge may still raise (policies/closed-run-raise).
CREATE TABLE IF NOT EXISTS experiment_jobs (
  job_id TEXT PRIMARY KEY,
  experiment_id TEXT NOT NULL,
  arm TEXT NOT NULL,
  counted INTEGER NOT NULL DEFAULT 0,
  counted_epoch INTEGER
);
`;

/**
 * `run_spend.tokens_out` on a coordinator made before it (ALTER TABLE: `CREATE … IF NOT EXISTS` never adds a column
 * to a table that exists). Why: a resumed lease's earlier tokens were one in + out sum, so the agent could not say
 * which were written and the estimate priced them all as written (core/prices `estimateUsd`). NULL, not 0: a row
 * from before — or one an older binary rewrites after a rollback (its INSERT OR REPLACE names no such column) — has
 * an unknown split, and policies/run-spend keeps it unknown. Idempotent; run by runtime/schema `applySchema`.
 */
export function applyRunSpendColumns(sql: SqlStorage): void {
  if (!columnsOf(sql, "run_spend").has("tokens_out"))
    execute(sql, "ALTER TABLE run_spend ADD COLUMN tokens_out INTEGER");
}
