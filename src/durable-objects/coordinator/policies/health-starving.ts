/**
 * @module durable-objects/coordinator/policies/health-starving
 * STARVING CHECK — one part of the health pass (policies/health-check), contract:
 *   inputs: the queued jobs, `health.starvingAfterMinutes`, `tx.now`, the work-ready WebSocket factory ids (for a
 *           starving job's waiting reason, coordinator/jobs/waiting).
 *   output: `starving` raised per queued job whose clock passed the threshold — the clock starts when its wait began,
 *           or when it became due (core/health `starvingFrom`: waiting out a retry's backoff is not waiting for a
 *           factory) — with its waiting reason; resolved for a job that left the queue or no longer starves; each
 *           candidate not starving yet gives the instant it would (core/health `starvingAt`), for the alarm.
 *   bound:  the `limit` candidates whose clock started first, read along `jobs_queued_due`, an index over that very
 *           instant: O(limit) however many jobs wait out a backoff. Read by queue time instead, a page filled with
 *           jobs in a week's backoff hid a job truly starving behind them — no alert, and no alarm for it.
 */
import { isStarving, starvingAt, starvingFrom } from "../../../core/health.ts";
import type { Job } from "../../../core/model.ts";
import { columnsOf, execute, withLimit } from "../../sql-statements.ts";
import { fleetSnapshot, waitingReasonFor } from "../jobs/waiting.ts";
import type { Tx } from "../runtime/tx.ts";
import { type AlertInput, liveAlertsOf } from "./alerts.ts";

const MINUTE = 60_000;

/**
 * core/health `starvingFrom` over a row's columns (`not_before` mirrors `notBefore`; `queued_at` is never null).
 * The index, the page and the one-row check all use this one text: SQLite uses an index on an expression only for
 * a query that names the same expression.
 */
export const STARVING_FROM_SQL = "COALESCE(waiting_since, MAX(queued_at, IFNULL(not_before, 0)))";

/** The `{limit}` queued jobs whose starving clock started first (sql-statements `withLimit`); tests pin its plan. */
export const STARVING_CANDIDATES_SQL = `SELECT doc FROM jobs INDEXED BY jobs_queued_due WHERE stage = 'queued'
  ORDER BY ${STARVING_FROM_SQL}, id LIMIT {limit}`;

/**
 * The columns and indexes a queued job's wait is read by; runs on every start (runtime/schema), so a coordinator
 * stored before any of them gains it in place. `jobs.waiting_since` (jobs/rows `waitingSinceOf`) is set only on a
 * job requeued without ending its wait. `jobs_queued_due` holds queued rows only: a job entering or leaving the
 * queue writes one entry, and a save that changes none of its columns (a checkpoint, a renewal) none. The health
 * summary reads its oldest wait there too (policies/health-summary), so the partial index over `waiting_since` alone
 * that it read before has no reader left and is dropped: it only cost writes.
 */
export function applyWaitingSchema(sql: SqlStorage): void {
  if (!columnsOf(sql, "jobs").has("waiting_since")) execute(sql, "ALTER TABLE jobs ADD COLUMN waiting_since INTEGER");
  execute(
    sql,
    `DROP INDEX IF EXISTS jobs_waiting_since;
     CREATE INDEX IF NOT EXISTS jobs_queued_due ON jobs(${STARVING_FROM_SQL}, id) WHERE stage = 'queued';`,
  );
}

/**
 * Raises and resolves `starving` (through `set`, which counts what the pass checked) over the `limit` candidates,
 * pushing onto `due` the instant each one not starving yet would.
 */
export function checkStarving(
  tx: Tx,
  afterMinutes: number,
  limit: number,
  wsReady: ReadonlySet<string>,
  set: (on: boolean, input: AlertInput) => void,
  due: number[],
): void {
  const queued = tx.sql
    .exec<{ doc: string }>(withLimit(STARVING_CANDIDATES_SQL, limit))
    .toArray()
    .map((r) => JSON.parse(r.doc) as Job);
  const starves = (j: Job) => isStarving(starvingFrom(j), tx.now, afterMinutes);
  const read = new Map(queued.map((j) => [`job:${j.id}`, starves(j)]));
  const snap = queued.some(starves) ? fleetSnapshot(tx, wsReady) : undefined;
  for (const j of queued) {
    if (!snap || !starves(j)) {
      due.push(starvingAt(starvingFrom(j), afterMinutes));
      continue;
    }
    const why = waitingReasonFor(tx, j, snap);
    const min = Math.floor((tx.now - starvingFrom(j)) / MINUTE);
    set(true, {
      kind: "starving",
      severity: "warning",
      subject: `job:${j.id}`,
      message: `job ${j.id} (${j.title}) has waited ${min} min (threshold ${afterMinutes} min): ${why ? `${why.code}: ${why.message}` : "no reason known"}`,
    });
  }
  const full = queued.length >= limit;
  for (const a of liveAlertsOf(tx.sql, "starving", limit))
    if (!(read.get(a.subject) ?? stillStarving(tx, a.subject, afterMinutes, full))) set(false, a);
}

/**
 * A live `starving` alert whose job was not among the candidates: kept only if the page was full (the job may
 * simply come later in the order) and the job is still queued and starving; otherwise its condition cleared.
 */
function stillStarving(tx: Tx, subject: string, afterMinutes: number, full: boolean): boolean {
  if (!full) return false;
  const row = tx.sql
    .exec<{ q: number }>(
      `SELECT ${STARVING_FROM_SQL} AS q FROM jobs WHERE id = ? AND stage = 'queued'`,
      subject.slice("job:".length),
    )
    .toArray()[0];
  return row !== undefined && isStarving(row.q, tx.now, afterMinutes);
}
