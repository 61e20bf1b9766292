/**
 * @module durable-objects/coordinator/outbox/feed-wanted
 * Which jobs' feeds are being read, for the feed hold (core/feed-hold): an event of a wanted job is written due
 * at once (`at` 0), any other waits in the outbox up to FEED_HOLD_MS to be coalesced with the job's next events.
 *
 * One set per SQLite handle (one per coordinator instance), in memory: a read marks the job wanted and makes its
 * pending events due in the same unit (`wantFeed`), so nothing held can be read around. Lost with the instance —
 * a watcher still attached to a feed then sees its events up to the hold late until its next read; the feed's
 * content and order are unaffected. So are the wanted jobs parked until a retry (`parkWanted`): due at once again then.
 */
import { WantedFeeds } from "../../../core/feed-hold.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";

const sets = new WeakMap<SqlStorage, WantedFeeds>();
/** Handles whose units wrote an event of a wanted feed since the shipper last looked: watchers wait for it. */
const urgent = new WeakSet<SqlStorage>();

/** An event of a wanted feed was written: the next delivery should not wait for the coalescing gap. */
export function markUrgent(sql: SqlStorage): void {
  urgent.add(sql);
}

/** Whether an event of a wanted feed was written since the last call (outbox/shipper `soon`). */
export function takeUrgent(sql: SqlStorage): boolean {
  return urgent.delete(sql);
}

function wantedOf(sql: SqlStorage): WantedFeeds {
  let set = sets.get(sql);
  if (!set) {
    set = new WantedFeeds();
    sets.set(sql, set);
  }
  return set;
}

/** Whether `jobId`'s feed is read (its events are due at once) at `now` (ms). */
export function feedWanted(sql: SqlStorage, jobId: string, now: number): boolean {
  return wantedOf(sql).has(jobId, now);
}

/**
 * A reader opens `jobId`'s feed: wanted from now on, and every event of it still in the outbox due at once (a
 * held event must not stay behind a later one written due at once: a feed keeps its order).
 */
export function wantFeed(tx: Tx, jobId: string): void {
  wantedOf(tx.sql).want(jobId, tx.now);
  dueAtOnce(tx.sql, jobId);
}

/** A handle's wanted jobs parked until their first event's retry (`parkWanted`): job → retry time (ms). */
interface Parked {
  until: Map<string, number>;
  /** The earliest of them (ms): a round before it looks at none. */
  next: number;
}
const parked = new WeakMap<SqlStorage, Parked>();

/**
 * A wanted job's events were parked out of the ripe-feed scan until `until` (ms; due-rows `parkBlockedJob`), off
 * their `at` 0. With every feed slot taken the scan reads `at` 0 rows only, so at their retry nothing would find
 * them until a slot freed (up to the feed idle time): `unparkWanted` brings them back to 0 then. In memory, as the
 * wanted set: lost with the instance, when the job is not wanted any more either.
 */
export function parkWanted(sql: SqlStorage, jobId: string, until: number): void {
  let p = parked.get(sql);
  if (!p) {
    p = { until: new Map(), next: until };
    parked.set(sql, p);
  }
  p.until.set(jobId, until);
  p.next = Math.min(p.next, until);
}

/**
 * Of the wanted jobs parked (`parkWanted`), those whose retry is due at `now` (ms) and still wanted, forgotten as they
 * are returned: their events are to be due at once again (`dueAtOnce`), read first by the ripe scan whatever the feed
 * budget (a round parks them again if their first event still waits). Before the earliest retry: one comparison.
 */
export function takeRipeParked(sql: SqlStorage, now: number): string[] {
  const p = parked.get(sql);
  if (!p || now < p.next) return [];
  p.next = Number.POSITIVE_INFINITY;
  const ripe: string[] = [];
  for (const [jobId, until] of p.until) {
    if (until > now) p.next = Math.min(p.next, until);
    else {
      p.until.delete(jobId);
      if (feedWanted(sql, jobId, now)) ripe.push(jobId);
    }
  }
  return ripe;
}

/** Every event of `jobId` still in the outbox due at once (`at` 0): read first by the ripe-feed scan. */
export function dueAtOnce(sql: SqlStorage, jobId: string): void {
  execute(sql, "UPDATE outbox SET at = 0 WHERE kind = 'event' AND job_id = ? AND at > 0", jobId);
}
