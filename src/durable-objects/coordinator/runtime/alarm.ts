/**
 * @module durable-objects/coordinator/runtime/alarm
 * The coordinator's single alarm, set to the earliest instant something is due: a lease expiry, an exclusion's
 * end, a serial stop hold's end, a retry's backoff ahead, the outbox's next round, the next health threshold, or (at
 * once) a cancel cascade's next chunk (dag/cancel-subtree) or a settled job's waiters still to re-evaluate
 * (dag/settle-walk), or a revoked token's feeds still to close (access/feed-closings), or (at once) keys still to
 * give their hash rows (jobs/idempotency `fillKeyHashes`). Alarms are not periodic: none is armed when nothing is
 * due, and one already armed earlier (and not stale) is left alone.
 */
import { NEXT_CLOSING_SQL } from "../access/feed-closings.ts";
import { NEXT_EXCLUSION_END_SQL } from "../dispatch/exclusions.ts";
import { NEXT_LEASE_EXPIRY_SQL } from "../dispatch/lease-ops.ts";
import { NEXT_HOLD_END_SQL } from "../dispatch/serial-holds.ts";
import { KEY_FILL_CURSOR } from "../jobs/idempotency.ts";
import { NEXT_HALF_OPEN_SQL } from "../policies/breakers.ts";
import { BUDGET_PERIOD_SQL, budgetBoundaryOf } from "../policies/budget-view.ts";
import { nextHealthAt } from "../policies/health-check.ts";

/**
 * The next retry's not_before, along its own index: a coordinator never runs ANALYZE, and without statistics the
 * planner took `stage = 'queued'` and walked every queued job — after every unit. Same for the lease and exclusion
 * queries the alarm asks (dispatch/lease-ops, dispatch/exclusions); test/integration/alarm.test.ts pins the plans.
 */
export const NEXT_NOT_BEFORE_SQL = `SELECT not_before AS t FROM jobs INDEXED BY jobs_by_not_before
  WHERE not_before IS NOT NULL AND not_before > ? AND stage = 'queued' ORDER BY not_before LIMIT 1`;

/** An armed alarm older than this is not trusted to fire (lost across a restart): re-armed anyway. */
const STALE_ALARM_MS = 60_000;

/**
 * The earliest instant work is due at `now`, or undefined for none.
 * @param outboxAt when the outbox is next worth a round, if it holds anything (outbox/shipper `dueAt`)
 */
export function nextDueAt(sql: SqlStorage, now: number, outboxAt: number | undefined): number | undefined {
  const [row] = sql.exec<DueRow>(NEXT_DUE_SQL, now).toArray();
  const due = [
    row?.lease,
    row?.excluded,
    row?.held, // a serial key held while a stopped run's factory stops it opens at its hold's end
    // Only backoffs still ahead: a due retry that no factory can take yet is placed by the next change that could
    // place it (a factory connecting, a seat freeing), not by an alarm re-armed "in the past" — the runtime fires
    // such an alarm at once, and its pass would re-arm it again: a tight loop of wasted work.
    row?.not_before,
    outboxAt,
    budgetBoundaryOf(row?.budget ?? null), // the budget's period rolls over (policies/budget)
    row?.half_open, // a breaker going half-open lets held work through
    // The next stuck/starving/stalled/heartbeat threshold the last health pass saw ahead (policies/health-check).
    nextHealthAt(sql),
    row?.cascade, // a cancelled composite's subtree still to cancel (dag/cancel-subtree): due at once
    row?.settles, // waiters of a settled job still to re-evaluate (dag/settle-walk): due at once
    row?.closings, // feeds still to tell to close a revoked token's streams (access/feed-closings)
    row?.key_fill, // keyed jobs the key-hash fill has not walked yet (jobs/idempotency): due at once
  ].filter((t): t is number => typeof t === "number");
  return due.length === 0 ? undefined : Math.min(...due);
}

interface DueRow extends Record<string, SqlStorageValue> {
  lease: number | null;
  excluded: number | null;
  held: number | null;
  not_before: number | null;
  budget: string | null;
  half_open: number | null;
  cascade: number | null;
  settles: number | null;
  closings: number | null;
  key_fill: number | null;
}

/**
 * Every due instant kept in SQLite, in ONE statement (`?1` = now, ms): each column is its owner's query, along its
 * own index (the plans are pinned in test/integration/alarm.test.ts). Asked after units, five statements were 4 % of
 * the statements a job cost.
 */
export const NEXT_DUE_SQL = `SELECT (${NEXT_LEASE_EXPIRY_SQL}) AS lease,
  (${NEXT_EXCLUSION_END_SQL.replace("?", "?1")}) AS excluded,
  (${NEXT_HOLD_END_SQL.replace("?", "?1")}) AS held,
  (${NEXT_NOT_BEFORE_SQL.replace("?", "?1")}) AS not_before,
  (${BUDGET_PERIOD_SQL}) AS budget,
  (${NEXT_HALF_OPEN_SQL.replace("?", "?1")}) AS half_open,
  (SELECT ?1 FROM cancel_cascades LIMIT 1) AS cascade,
  (SELECT ?1 FROM settle_backlog LIMIT 1) AS settles,
  (${NEXT_CLOSING_SQL}) AS closings,
  (SELECT ?1 FROM meta WHERE key = '${KEY_FILL_CURSOR}') AS key_fill`;

export class AlarmClock {
  /** The instant armed, as far as this instance knows (null: none, or it fired). */
  at: number | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly outboxDueAt: (now: number) => number | undefined,
  ) {}

  /**
   * Reads the alarm already armed; run once, in the constructor's `blockConcurrencyWhile`. None armed, or one later
   * than the outbox's next round, is armed for that round: it may be the wake of a round the instance before a reset
   * never saw come back, set before records due at once were written (outbox/shipper `dueAt`) — they waited for it,
   * up to 5 min, unless a unit came first (its settling arms); a read or a frame that writes nothing did not. None at
   * all: the settling's `setAlarm` after their unit failed (runtime/composition `settleSoon` only logs it) and the
   * instance was reset before another unit came — the records then waited for a write or the cron sweep (a pass-42
   * review). The outbox's wake lives in memory: a new instance has none, and asks the next second when anything
   * waits — one round per construction.
   */
  async load(): Promise<void> {
    this.at = await this.storage.getAlarm();
    const outboxAt = this.outboxDueAt(Date.now());
    if (outboxAt !== undefined && (this.at === null || this.at > outboxAt)) await this.arm();
  }

  /** The alarm fired: nothing is armed until the next `arm`. */
  fired(): void {
    this.at = null;
  }

  /**
   * Arms the alarm at the earliest due instant, unless an earlier, fresh one is armed already. One armed for an
   * instant already come (fresh) fires at once, as one re-armed earlier would: the due instants are not read then
   * (`dueAlready`; after ~a quarter of the settlings under load, bench/README forty-first pass).
   */
  async arm(): Promise<void> {
    const now = Date.now();
    if (this.dueAlready(now)) return;
    const at = nextDueAt(this.storage.sql, now, this.outboxDueAt(now));
    if (at === undefined) return;
    if (this.at !== null && this.at <= at && this.at > now - STALE_ALARM_MS) return;
    // Taken before the await, so a concurrent arm does not set it again; given back when storage refused it, or
    // every arm for the next minute would skip an alarm that was never set (leases would not expire on time).
    const before = this.at;
    this.at = at;
    try {
      await this.storage.setAlarm(at);
    } catch (err) {
      if (this.at === at) this.at = before;
      throw err;
    }
  }

  /**
   * An alarm is armed, fresh, for an instant at or before `now` (ms): the runtime runs it at once, and arming one
   * for an earlier instant (a lease that expired before it, say) would run it no sooner — both are in the past.
   */
  private dueAlready(now: number): boolean {
    return this.at !== null && this.at <= now && this.at > now - STALE_ALARM_MS;
  }
}
