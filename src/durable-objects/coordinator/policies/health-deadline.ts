/**
 * @module durable-objects/coordinator/policies/health-deadline
 * When the next health pass is due (policies/health-check), kept in meta for the alarm (runtime/alarm).
 *
 * A pass notes the next threshold it can see ahead. A job that starts building after that pass could turn
 * `stuck` before it — with a short `health.stuckAfterMinutes` the alert would wait for the cron's next minute —
 * so entering `building` brings the noted instant forward to when it would be stuck (core/health `stuckAt`), if
 * that is sooner.
 * This module imports nothing from jobs/, so jobs/rows can call it without an import cycle.
 */
import { stuckAt } from "../../../core/health.ts";
import { deleteMeta, getMeta, getSettings, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";

export const NEXT_KEY = "health_next_at";

/** Whether the alarm should run a pass now: a noted threshold is due at `now` (ms). */
export function healthDue(sql: SqlStorage, now: number): boolean {
  const at = nextHealthAt(sql);
  return at !== undefined && at <= now;
}

/** The next threshold instant noted (ms epoch), for the alarm; undefined for none. */
export function nextHealthAt(sql: SqlStorage): number | undefined {
  const at = Number(getMeta(sql, NEXT_KEY) ?? Number.NaN);
  return Number.isFinite(at) ? at : undefined;
}

/** Note the pass's own next threshold (ms epoch), or none. */
export function setNextHealthAt(sql: SqlStorage, at: number | undefined): void {
  if (at === undefined) deleteMeta(sql, NEXT_KEY);
  else setMeta(sql, NEXT_KEY, String(at));
}

/** A job entered `building` at `tx.now`: the alarm must wake by the time it could be stuck. */
export function noteBuildingStarted(tx: Tx): void {
  // Its move to building is its last event (jobs/rows writes the activity at tx.now).
  const at = stuckAt(tx.now, getSettings(tx.sql).health.stuckAfterMinutes);
  const noted = nextHealthAt(tx.sql);
  if (noted === undefined || at < noted) setMeta(tx.sql, NEXT_KEY, String(at));
}
