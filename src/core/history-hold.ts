/**
 * @module core/history-hold
 * When the coordinator's D1 history records (job snapshots, runs, audit entries; not lessons) leave its outbox: at
 * once, unless the coordinator is loaded — then each waits until it is HISTORY_HOLD_MS old, or until the load ends,
 * whichever comes first (issue 12, sixth pass).
 *
 * Why: locally everything runs on the runtime's one thread, and shipping history (a snapshot per stage change,
 * parsed, packed, queued, written to D1) was a fifth of its CPU per job in the harness's W1 burst. Held for the
 * burst, that work runs after it — the same work, moved, not saved — while the jobs themselves finish sooner (W1:
 * +19 % jobs/s, bench/README sixth pass). In production the queue consumer and D1 run elsewhere, but reading,
 * packing and sending each round is still the coordinator's own time.
 *
 * What may wait and what may not:
 * - D1 history (snapshots, runs, audit entries) is for reports and the history views (SPEC: "never on the claim
 *   hot path"); trailing by up to a minute during a burst is the cost, and it is bounded: a record is never held
 *   past HISTORY_HOLD_MS, so under load that never ends history still flows, a minute behind, at the rate it is
 *   written. A `POST …/routing/rebuild` replays D1's runs, so it misses the runs still held.
 * - Lessons are never held (`holdsKind`): the API reads them back from D1 (`GET …/lessons`) right after an edit.
 * - Webhook deliveries and feed events are never held here: a receiver and a watcher are waiting for them.
 *
 * "Loaded" takes two things at once (`historyLoaded`):
 * - the feed budget's busy state (core/feed-budget `busy`): a dispatch pass left runnable work waiting for a seat,
 *   or factory frames queued behind a turn, within the last BUSY_HOLD_MS;
 * - and at least HISTORY_HOLD_MIN_UNITS units a second (`UnitRate`). A fleet with a standing backlog of long jobs
 *   leaves work waiting at every pass while its thread idles; holding its history would only make it late.
 *
 * Pure: `now` and `at` are ms since the epoch.
 */

/** The longest a history record waits in the outbox while the coordinator is loaded (ms). */
export const HISTORY_HOLD_MS = 60_000;

/**
 * The newest write time (ms) a history record may have and be due at `now` (ms): every record when the coordinator
 * is not loaded, else only those written at least `holdMs` ago.
 * @returns ms since the epoch; `Number.MAX_SAFE_INTEGER` when nothing is held
 */
export function historyCutoff(now: number, loaded: boolean, holdMs: number = HISTORY_HOLD_MS): number {
  return loaded ? now - holdMs : Number.MAX_SAFE_INTEGER;
}

/** Whether a history record of `kind` may be held: snapshots, runs and audit entries; never a lesson. */
export function holdsKind(kind: string): boolean {
  return kind !== "lesson";
}

/**
 * When history held since `oldestAt` (ms: the write time of the oldest record held) becomes due: when the load
 * ends (`busyUntil`, ms: core/feed-budget `busyEndsAt`) or when that record has waited `holdMs`, whichever is first.
 * @returns ms since the epoch, never later than `oldestAt + holdMs`
 */
export function historyDueAt(oldestAt: number, busyUntil: number, holdMs: number = HISTORY_HOLD_MS): number {
  return Math.min(busyUntil, oldestAt + holdMs);
}

/**
 * Units committed per second at or above which a busy coordinator holds history. W1's burst commits ~1,500 a
 * second; a fleet of hundreds of hosts running long jobs, with heartbeats and log frames, tens to a few hundred.
 */
export const HISTORY_HOLD_MIN_UNITS = 200;

/** Whether history is held at this load: busy (core/feed-budget) and at least HISTORY_HOLD_MIN_UNITS units/s. */
export function historyLoaded(busy: boolean, unitsPerSecond: number, min: number = HISTORY_HOLD_MIN_UNITS): boolean {
  return busy && unitsPerSecond >= min;
}

/**
 * Units committed per second, counted in whole seconds of the clock: `perSecond(now)` is the larger of the last
 * full second's count and the current second's so far (0 after a silent second). O(1) memory.
 */
export class UnitRate {
  private second = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  /** A unit committed at `now` (ms). */
  note(now: number): void {
    this.roll(now);
    this.current++;
  }

  /** Units per second around `now` (ms). */
  perSecond(now: number): number {
    this.roll(now);
    return Math.max(this.previous, this.current);
  }

  private roll(now: number): void {
    const s = Math.floor(now / 1_000);
    if (s <= this.second) return;
    this.previous = s === this.second + 1 ? this.current : 0;
    this.current = 0;
    this.second = s;
  }
}
