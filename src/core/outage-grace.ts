/**
 * @module core/outage-grace
 * Leases across the coordinator's own outage. A lease ends when its holder stops renewing — but while the
 * coordinator itself is down (a crash, a restart of the local runtime), no holder can renew, and on its return
 * every lease that ran out meanwhile would be expired at once: healthy hosts lose their running work (the engine
 * stopped, the attempt spent, the host excluded and marked degraded, a failure on its breaker) before their agents
 * have even reconnected (a reviewer saw it with every running job after a 30 s outage).
 *
 * The evidence of an outage is a lease overdue by more than OUTAGE_SLACK_MS when a coordinator instance starts:
 * a running coordinator expires leases on time (its alarm is armed for the earliest), and an idle one that was
 * evicted is woken by that alarm at the expiry — so only an instance that was not running lets one go stale.
 * Then every lease still held gets at least its grace from now: its TTL, and no less than
 * OUTAGE_GRACE_MIN_SECONDS, the time an agent needs to notice and reconnect (its backoff is capped at 10 s).
 * A holder that is really gone costs one grace more before its job is recovered; the grace is given only at an
 * instance's start, so it cannot repeat without another outage. Pure: `now` and the expiries are parameters (ms).
 */

/** 5 s: far beyond an alarm's lateness on a running coordinator, far below any outage worth the name. */
export const OUTAGE_SLACK_MS = 5_000;

/** 30 s: an agent's reconnect backoff (≤ 10 s) and its `hello`, with room for a slow host. */
export const OUTAGE_GRACE_MIN_SECONDS = 30;

/** Whether a coordinator starting at `now` was down: its oldest held lease (ms, undefined: none) is overdue. */
export function wasDown(oldestExpiry: number | undefined, now: number): boolean {
  return oldestExpiry !== undefined && oldestExpiry <= now - OUTAGE_SLACK_MS;
}

/**
 * The expiry (ms) a held lease gets after an outage: unchanged if it already runs at least its grace from `now`,
 * else `now` + max(ttlSeconds, OUTAGE_GRACE_MIN_SECONDS). Never earlier than it was.
 */
export function extendedExpiry(expiresAt: number, now: number, ttlSeconds: number): number {
  return Math.max(expiresAt, now + Math.max(ttlSeconds, OUTAGE_GRACE_MIN_SECONDS) * 1000);
}
