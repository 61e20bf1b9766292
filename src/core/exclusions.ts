/**
 * @module core/exclusions
 * Per-holder exclusion with backoff: a lease lost by expiry, release or rejection keeps that job away from that
 * factory for a while, growing with each loss and bounded. Pure: every rule takes `now` (ms epoch) as a parameter.
 *
 * Why: without it, the router hands an expired or released job straight back to the factory that just lost it
 * (same score, same tie-break), so a frozen host burns every attempt of a job while a capable host sits idle, and
 * a host that releases everything spins the coordinator. An exclusion is a hard filter while it lasts, and it
 * always ends: when no other factory can run the job, the job comes back to this one after the backoff (bounded
 * re-offers instead of none or infinitely many). An operator's requeue clears every exclusion of the job.
 */

/** How the holder lost the lease. */
export const LOSS_KINDS = ["expired", "released", "rejected"] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

export interface Backoff {
  /** Exclusion after the first loss (ms). */
  baseMs: number;
  /** Ceiling on any single exclusion (ms). */
  capMs: number;
}

export const EXCLUSION_BACKOFF: Readonly<Record<LossKind, Readonly<Backoff>>> = Object.freeze({
  /**
   * 60 s doubling to 30 min: a host that went silent is likely still gone a lease TTL later; past half an hour
   * its next try is cheap compared with the attempts it would burn by coming back sooner.
   */
  expired: Object.freeze({ baseMs: 60_000, capMs: 30 * 60_000 }),
  /**
   * 10 s doubling to 10 min: a release is no fault (drain, full seats), so the host may come back soon — but a
   * host that releases everything gets the job once per backoff, not ~360 times a second.
   */
  released: Object.freeze({ baseMs: 10_000, capMs: 10 * 60_000 }),
  /**
   * 15 min doubling to 24 h: "I cannot run this job" (no disk, missing tool) rarely fixes itself quickly;
   * a day later the host may have been repaired, so a rejection expires instead of lasting forever.
   */
  rejected: Object.freeze({ baseMs: 15 * 60_000, capMs: 24 * 3_600_000 }),
});

/**
 * 24 h: strikes older than this are forgiven — a job coming back to a host the next day starts at the base
 * backoff again, and the coordinator can forget the row.
 */
export const STRIKE_MEMORY_MS = 24 * 3_600_000;

export interface Exclusion {
  jobId: string;
  factoryId: string;
  /** Losses of this job by this factory still remembered (≥ 1). */
  strikes: number;
  /** The latest loss's kind. */
  kind: LossKind;
  /** When the latest loss happened (ms epoch). */
  at: number;
  /** The factory is not offered the job before this instant (ms epoch). */
  until: number;
}

/** base · 2^(strikes−1), capped; `strikes` below 1 count as 1. Never overflows (2 ** large = Infinity → cap). */
export function exclusionDelayMs(kind: LossKind, strikes: number): number {
  const { baseMs, capMs } = EXCLUSION_BACKOFF[kind];
  return Math.min(capMs, baseMs * 2 ** Math.max(0, Math.floor(strikes) - 1));
}

/**
 * The exclusion after a loss at `now`: one more strike than `previous` (unless that one is older than
 * `STRIKE_MEMORY_MS`, then strike 1), lasting `exclusionDelayMs(kind, strikes)`.
 */
export function nextExclusion(
  previous: Pick<Exclusion, "strikes" | "at"> | undefined,
  loss: { jobId: string; factoryId: string; kind: LossKind },
  now: number,
): Exclusion {
  const remembered = previous !== undefined && now - previous.at < STRIKE_MEMORY_MS;
  const strikes = remembered ? previous.strikes + 1 : 1;
  return { ...loss, strikes, at: now, until: now + exclusionDelayMs(loss.kind, strikes) };
}

/** In force iff `now < until`: at the exact instant the backoff ends, the factory may have the job again. */
export function isExcluded(exclusion: Pick<Exclusion, "until"> | undefined, now: number): boolean {
  return exclusion !== undefined && now < exclusion.until;
}

/** What a factory offers the router, before and after a declaration or an approval (rules in core/capability-grant). */
export interface OfferedGrant {
  /** Effective capabilities (what the router matches on). */
  capabilities: readonly string[];
  /** What the factory last declared (undefined: never declared). */
  declared?: readonly string[];
  /** Effective seats. */
  seats: number;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((c) => y.has(c));
};

/**
 * Whether a factory changed enough that the jobs it lost may now succeed there, so its exclusions end at once
 * (issue "fleet policies" §8: excluded "for a bounded time or until its capabilities change"): its effective
 * capabilities changed (a new tool installed and granted), its declaration changed (the host itself changed,
 * even before an operator approves), or it has more seats (it released for "no free seat"). A first
 * declaration after enrollment is not a change: nothing was lost under the old one.
 */
export function grantChangeClearsExclusions(before: OfferedGrant, after: OfferedGrant): boolean {
  if (!sameSet(before.capabilities, after.capabilities)) return true;
  if (before.declared !== undefined && after.declared !== undefined && !sameSet(before.declared, after.declared)) {
    return true;
  }
  return after.seats > before.seats;
}
