/**
 * @module durable-objects/coordinator/policies/breakers
 * Circuit breakers per factory × engine (issue 9 part 3), stored in `breakers` (no row = closed, no failures) over
 * the pure state machine of core/breaker. `noteRunOutcome` is called for every run that ends (jobs/runs
 * `finishRun`), in that unit; `openBreakerKeys` feeds the router's filter (dispatch/claim `routeContext`);
 * `noteAssignment` records a half-open breaker's one trial (its job and lease epoch, columns `trial_job_id`,
 * `trial_epoch`) when dispatch/claim `assignJob` grants its lease; only that run's end frees the slot.
 *
 * What counts: `failure`, `timeout` and `rate_limited` are the engine's fault; `success` closes. `cancelled`,
 * `preempted`, `handed_back`, `budget_exceeded` and `fenced` are neutral — an operator, a more urgent job, a hand-back,
 * a budget or a lost lease ended the run, not the engine —
 * they only free a half-open breaker's trial slot, and only the trial's own. A job that names no engine runs the
 * factory's default one: its breaker is `<factoryId>:*` (core/breaker `DEFAULT_ENGINE`).
 */
import {
  admit,
  type Breaker,
  type BreakerEvent,
  blocksRouting,
  breakerState,
  CLOSED,
  DEFAULT_ENGINE,
  onRunEnd,
  openReason,
} from "../../../core/breaker.ts";
import type { Job, RunResult } from "../../../core/model.ts";
import type { Run } from "../../../shared/responses.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { clearAlert } from "./alerts.ts";
import { sayBreakerOpen } from "./breaker-open-notice.ts";
import { type BreakerRow, breakerWritten, knownClosed, noteNotClosed } from "./breaker-reads.ts";
import { applyBreakerResetColumn, runOutBefore } from "./breaker-reset-runs.ts";
import { noteFactoryFailure } from "./quarantine.ts";

export type { BreakerRow };

/**
 * A row as the pure breaker. The trial columns name a live trial on a breaker not closed, and on a closed one (no
 * `open_until`: core/breaker keeps `overriddenTrial` only there) the trial an operator's reset overrode.
 */
export const toBreaker = (r: BreakerRow): Breaker => {
  const trial = r.trial_job_id !== null ? { jobId: r.trial_job_id, leaseEpoch: r.trial_epoch ?? 0 } : undefined;
  return {
    consecutiveFailures: r.consecutive_failures,
    ...(r.open_until !== null ? { openUntil: r.open_until } : {}),
    ...(r.cool_down_s !== null ? { coolDownSeconds: r.cool_down_s } : {}),
    ...(trial ? (r.open_until !== null ? { trial } : { overriddenTrial: trial }) : {}),
    ...(r.reset_at !== null ? { resetAt: r.reset_at } : {}),
  };
};

/**
 * The trial's identity, added to the table runtime/schema-policies creates (a new coordinator and an older one
 * alike). An older row's `trial_out` said only "a trial is out": its trial is the run still open on that factory ×
 * engine that started once the breaker was half-open (none found: no trial out). `trial_out` is kept in step.
 */
export function applyBreakerTrialColumns(sql: SqlStorage): void {
  applyBreakerResetColumn(sql); // the instant of an operator's reset (policies/breaker-reset-runs)
  if (columnsOf(sql, "breakers").has("trial_job_id")) return;
  execute(sql, "ALTER TABLE breakers ADD COLUMN trial_job_id TEXT");
  execute(sql, "ALTER TABLE breakers ADD COLUMN trial_epoch INTEGER");
  const trialRun = (col: string) => `(SELECT r.${col} FROM runs r WHERE r.factory_id = breakers.factory_id
    AND COALESCE(r.engine, '${DEFAULT_ENGINE}') = breakers.engine AND r.ended_at IS NULL
    AND r.started_at >= breakers.open_until ORDER BY r.started_at DESC LIMIT 1)`;
  const fill = `UPDATE breakers SET trial_job_id = ${trialRun("job_id")}, trial_epoch = ${trialRun("lease_epoch")}`;
  execute(sql, `${fill} WHERE trial_out = 1`);
  execute(sql, "UPDATE breakers SET trial_out = 0 WHERE trial_job_id IS NULL");
}

export function readBreaker(sql: SqlStorage, factoryId: string, engine: string): Breaker {
  const r = sql
    .exec<BreakerRow>("SELECT * FROM breakers WHERE factory_id = ? AND engine = ?", factoryId, engine)
    .toArray()[0];
  return r ? toBreaker(r) : { ...CLOSED };
}

/** Stores `b` (no row: closed, clean, nothing overridden — the row a reset or a success leaves is deleted). */
export function writeBreaker(sql: SqlStorage, factoryId: string, engine: string, b: Breaker): void {
  breakerWritten(sql);
  const ran = b.trial ?? b.overriddenTrial; // never both (core/breaker)
  if (b.openUntil === undefined && b.consecutiveFailures === 0 && !ran && b.resetAt === undefined) {
    execute(sql, "DELETE FROM breakers WHERE factory_id = ? AND engine = ?", factoryId, engine);
    return;
  }
  execute(
    sql,
    `INSERT OR REPLACE INTO breakers(factory_id, engine, consecutive_failures, open_until, cool_down_s, trial_out,
       trial_job_id, trial_epoch, reset_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    factoryId,
    engine,
    b.consecutiveFailures,
    b.openUntil ?? null,
    b.coolDownSeconds ?? null,
    b.trial ? 1 : 0,
    ran?.jobId ?? null,
    ran?.leaseEpoch ?? null,
    b.resetAt ?? null,
  );
}

/** True when `a` and `b` would be stored alike. */
export function sameBreaker(a: Breaker, b: Breaker): boolean {
  return (
    a.consecutiveFailures === b.consecutiveFailures &&
    a.openUntil === b.openUntil &&
    a.coolDownSeconds === b.coolDownSeconds &&
    a.trial?.jobId === b.trial?.jobId &&
    a.trial?.leaseEpoch === b.trial?.leaseEpoch &&
    a.overriddenTrial?.jobId === b.overriddenTrial?.jobId &&
    a.overriddenTrial?.leaseEpoch === b.overriddenTrial?.leaseEpoch &&
    a.resetAt === b.resetAt
  );
}

/** The breaker key of a run or job on a factory: the engine it names, or the factory's default (`*`). */
export const engineKey = (engine: string | undefined): string => engine ?? DEFAULT_ENGINE;

/** What a run's result means to its breaker (see the module note). */
export function breakerEvent(result: RunResult): BreakerEvent {
  switch (result.outcome) {
    case "success":
      return { kind: "success" };
    case "failure":
    case "timeout":
      return { kind: "failure" };
    case "rate_limited":
      return result.retryAfterSeconds === undefined
        ? { kind: "rate_limited" }
        : { kind: "rate_limited", retryAfterSeconds: result.retryAfterSeconds };
    case "cancelled":
    case "preempted":
    case "handed_back":
    case "budget_exceeded":
    case "fenced":
      return { kind: "neutral" };
  }
}

/** A run ended (`run.result` set): count it against its factory × engine breaker and the factory's error budget. */
export function noteRunOutcome(tx: Tx, run: Run): void {
  if (!run.result) return;
  const engine = engineKey(run.engine);
  const settings = getSettings(tx.sql);
  const event = breakerEvent(run.result);
  const prev = readBreaker(tx.sql, run.factoryId, engine);
  const ended = onRunEnd(prev, event, run, tx.now, settings.breaker);
  const { tripped, closed, stale } = ended;
  // The last run out from before a reset has ended: the instant is kept no longer (policies/breaker-reset-runs).
  const over =
    stale && ended.next.resetAt !== undefined && !runOutBefore(tx.sql, run.factoryId, engine, ended.next.resetAt);
  const { resetAt: _r, ...cleared } = ended.next;
  const next = over ? cleared : ended.next;
  // Most runs end with their breaker closed and clean, as it was: nothing to write.
  if (!sameBreaker(prev, next)) writeBreaker(tx.sql, run.factoryId, engine, next);
  const subject = `breaker:${run.factoryId}:${engine}`;
  const why = openReason(event, next.consecutiveFailures);
  // A rate limit from a run out since before the trip may hold an open breaker longer: its alert must name the new
  // end, not one that passes while the breaker stays open (the same alert, refreshed: no trip, no webhook).
  if (tripped || (prev.openUntil !== undefined && (next.openUntil ?? 0) > prev.openUntil))
    sayBreakerOpen(tx, run, engine, next.openUntil ?? tx.now, why, tripped);
  if (tripped) {
    enqueueAudit(tx, "system", "breaker.open", subject, { openUntil: next.openUntil, why, jobId: run.jobId });
    // A route context this unit handed out (a pass whose preemption expired a lapsed run) keeps off it from now on.
    for (const set of handedOut.get(tx) ?? []) set.add(`${run.factoryId}:${engine}`);
  }
  if (closed) {
    clearAlert(tx, "breaker_open", subject);
    enqueueAudit(tx, "system", "breaker.close", subject, { jobId: run.jobId });
  }
  // A run from before an operator's reset is about the engine as it was: it must not quarantine the factory either.
  if (event.kind === "failure" && !stale) noteFactoryFailure(tx, run.factoryId);
}

// The open sets handed out in this unit: a trial admitted later in the same unit (a dispatch pass plans many jobs
// on one route context) is added to them, so the plan never sends a half-open breaker a second trial.
const handedOut = new WeakMap<Tx, Set<string>[]>();

/** Every breaker not closed (open or half-open): the one read a route context makes of the table. */
export function notClosedBreakers(tx: Tx): readonly BreakerRow[] {
  const rows = tx.sql.exec<BreakerRow>("SELECT * FROM breakers WHERE open_until IS NOT NULL").toArray();
  noteNotClosed(tx, rows); // a job assigned on this read needs no read of its closed breaker (policies/breaker-reads)
  return rows;
}

/**
 * `${factoryId}:${engine}` of every breaker that blocks routing at `tx.now` (half-open ones with a trial out too).
 * `rows`: `notClosedBreakers` as the caller read it for policies/breaker-details too (dispatch/claim `routeContext`).
 */
export function openBreakerKeys(tx: Tx, rows: readonly BreakerRow[] = notClosedBreakers(tx)): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const r of rows) if (blocksRouting(toBreaker(r), tx.now)) keys.add(`${r.factory_id}:${r.engine}`);
  handedOut.set(tx, [...(handedOut.get(tx) ?? []), keys]);
  return keys;
}

/** `job`'s lease (its current epoch) was granted to `factoryId` at `tx.now`: on a half-open breaker it is the trial. */
export function noteAssignment(tx: Tx, job: Pick<Job, "id" | "leaseEpoch" | "engine">, factoryId: string): void {
  const key = engineKey(job.engine);
  if (knownClosed(tx, factoryId, key)) return;
  const b = readBreaker(tx.sql, factoryId, key);
  if (breakerState(b, tx.now) !== "half_open" || b.trial) return;
  writeBreaker(tx.sql, factoryId, key, admit(b, { jobId: job.id, leaseEpoch: job.leaseEpoch }, tx.now));
  for (const set of handedOut.get(tx) ?? []) set.add(`${factoryId}:${key}`);
}

/**
 * The next instant an open breaker goes half-open, after `?` = now (ms): the alarm wakes then to dispatch held
 * work. One column of runtime/alarm's NEXT_DUE_SQL.
 */
export const NEXT_HALF_OPEN_SQL = "SELECT MIN(open_until) AS t FROM breakers WHERE open_until > ?";

/**
 * Forget a factory that is gone (deregistered, or its token revoked): its breakers and error window, and resolve
 * the alerts about it (`breaker_open` per engine, `factory_quarantined`, `factory_down`, `factory_degraded`) — in the
 * caller's unit. An orphan open breaker would otherwise hold jobs of its engine under `overflow: hold` until its
 * cool-down ran out, and an alert nothing can clear any more would keep the product's health degraded for good (the
 * health pass resolves a gone factory's heartbeat alerts only among the oldest PER_CHECK live ones, a pass later).
 */
export function forgetFactory(tx: Tx, factoryId: string): void {
  const engines = tx.sql
    .exec<{ engine: string }>("SELECT engine FROM breakers WHERE factory_id = ?", factoryId)
    .toArray();
  for (const { engine } of engines) clearAlert(tx, "breaker_open", `breaker:${factoryId}:${engine}`);
  for (const kind of ["factory_quarantined", "factory_down", "factory_degraded"] as const)
    clearAlert(tx, kind, `factory:${factoryId}`);
  execute(tx.sql, "DELETE FROM breakers WHERE factory_id = ?", factoryId);
  breakerWritten(tx.sql);
  execute(tx.sql, "DELETE FROM error_budgets WHERE factory_id = ?", factoryId);
}
