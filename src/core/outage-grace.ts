/**
 * @module core/outage-grace
 * Leases across the coordinator's own outage. A lease ends when its holder stops renewing — but while the
 * coordinator itself is down (a crash, a restart of the local runtime), no holder can renew, and on its return
 * every lease that ran out meanwhile, or runs out before its agent has reconnected (backoff ≤ 10 s), would be
 * expired: healthy hosts lose their running work (the engine stopped, the attempt spent, the host excluded and
 * marked degraded, a failure on its breaker) and the job runs twice.
 *
 * Timing alone cannot tell a crash from an idle instance that was evicted and is woken by its alarm at a lease's
 * expiry, which must expire a dead holder's lease on time. The evidence is per holder, read when an instance
 * starts (`holderGraced`):
 *   - a socket of it is attached: the runtime kept it across an eviction (hibernation) — nothing was lost, no grace;
 *   - its disconnect was recorded (`connected` false: the coordinator handled its socket's close, or gave it a grace
 *     already): its loss was seen while the coordinator ran — no grace, its leases expire on time;
 *   - it is stored connected but no socket of it is attached: its connection went down WITH the coordinator (a
 *     crash drops sockets without a close event) — its leases get the grace;
 *   - never told (an HTTP poller has no socket; a record from before the flag): the old evidence, `wasDown` — the
 *     oldest held lease overdue by more than OUTAGE_SLACK_MS, which a running or alarm-woken coordinator never lets
 *     happen.
 * The grace: every lease of a graced holder runs at least max(its TTL, OUTAGE_GRACE_MIN_SECONDS) from the start
 * (`extendedExpiry`), and so does a serial stop hold its old run keeps (core/serial-holds): that engine may still run.
 * The coordinator records the holder disconnected as it grants the grace, so a holder that is really gone costs one
 * grace more, once. Pure: `now` and the expiries are parameters (ms).
 */

/** 5 s: far beyond an alarm's lateness on a running coordinator, far below any outage worth the name. */
export const OUTAGE_SLACK_MS = 5_000;

/** 30 s: an agent's reconnect backoff (≤ 10 s) and its `hello`, with room for a slow host. */
export const OUTAGE_GRACE_MIN_SECONDS = 30;

/** Whether a coordinator starting at `now` was down: its oldest held lease (ms, undefined: none) is overdue. */
export function wasDown(oldestExpiry: number | undefined, now: number): boolean {
  return oldestExpiry !== undefined && oldestExpiry <= now - OUTAGE_SLACK_MS;
}

/** What a starting instance knows of a lease holder's link. */
export interface HolderLink {
  /** The stored flag: true from a `hello`, false once its close was handled; undefined: never told (HTTP poller). */
  connected: boolean | undefined;
  /** A socket of this factory is attached to the starting instance (ctx.getWebSockets). */
  attached: boolean;
}

/** Whether a holder's leases and stop holds get the grace at an instance's start; `down`: `wasDown` at that start. */
export function holderGraced(link: HolderLink, down: boolean): boolean {
  if (link.attached || link.connected === false) return false;
  return link.connected === true || down;
}

/**
 * The expiry (ms) a held lease gets after an outage: unchanged if it already runs at least its grace from `now`,
 * else `now` + max(ttlSeconds, OUTAGE_GRACE_MIN_SECONDS). Never earlier than it was.
 */
export function extendedExpiry(expiresAt: number, now: number, ttlSeconds: number): number {
  return Math.max(expiresAt, now + Math.max(ttlSeconds, OUTAGE_GRACE_MIN_SECONDS) * 1000);
}

/** The expiry (ms) of a lease (or stop hold) held by a holder with `link` at an instance's start at `now`. */
export function expiryAtStart(expiresAt: number, ttlSeconds: number, link: HolderLink, down: boolean, now: number) {
  return holderGraced(link, down) ? extendedExpiry(expiresAt, now, ttlSeconds) : expiresAt;
}
