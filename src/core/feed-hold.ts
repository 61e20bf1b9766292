/**
 * @module core/feed-hold
 * When a job's feed events leave the coordinator's outbox for its JobFeed (issue 12 item 2: coalesced feed
 * appends, and a feed object created only when the job has something for it).
 *
 * A job's events are held while nobody reads its feed and its oldest pending event is younger than the hold:
 * a job that is created, assigned and finished within the hold costs ONE append — one feed object created, one
 * call — instead of one per delivery round (3–5 for a no-op job). The throughput profile put that call at a
 * third of the coordinator's CPU. Nobody can observe the hold: every read of a feed (REST page, WebSocket,
 * SSE) first asks the coordinator to open it (`openFeed`), which marks the job *wanted* and ships its held
 * events before the read goes on; a wanted job's events then go in the next round, as before.
 *
 * Pure: `now` (ms since the epoch) is a parameter everywhere.
 */

/** How long a job's events may wait to be coalesced into one append (ms). */
export const FEED_HOLD_MS = 5_000;
/** How long a feed stays wanted after its last read (ms): a live watcher keeps it for an hour of silence. */
export const WANTED_TTL_MS = 60 * 60_000;
/** Wanted feeds remembered at most; the least recently read are forgotten first (their events then wait ≤ the hold). */
export const MAX_WANTED = 10_000;

/**
 * The newest enqueue time (ms) an event may have and be due by age alone: events enqueued at or before it have
 * waited the whole hold.
 */
export function holdCutoff(now: number, holdMs: number = FEED_HOLD_MS): number {
  return now - holdMs;
}

/** When the oldest held event, enqueued at `oldestAt` (ms), becomes due by age. */
export function heldUntil(oldestAt: number, holdMs: number = FEED_HOLD_MS): number {
  return oldestAt + holdMs;
}

/** The jobs whose feeds someone reads: their events are not held. In memory, bounded, least recently read first. */
export class WantedFeeds {
  private readonly until = new Map<string, number>();

  constructor(
    readonly ttlMs: number = WANTED_TTL_MS,
    readonly max: number = MAX_WANTED,
  ) {}

  /** A read of `jobId`'s feed at `now` (ms): wanted for the next `ttlMs`. */
  want(jobId: string, now: number): void {
    this.until.delete(jobId);
    this.until.set(jobId, now + this.ttlMs);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
  }

  has(jobId: string, now: number): boolean {
    const t = this.until.get(jobId);
    return t !== undefined && t > now;
  }

  /** Every job still wanted at `now` (ms); lapsed ones are forgotten. */
  keys(now: number): string[] {
    // One TTL for all: Map order (least recently read first) is expiry order, so the lapsed ones are a prefix.
    for (const [k, t] of this.until) {
      if (t > now) break;
      this.until.delete(k);
    }
    return [...this.until.keys()];
  }
}
