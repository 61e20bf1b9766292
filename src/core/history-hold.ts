/**
 * @module core/history-hold
 * When the coordinator's D1 history records (job snapshots, runs, audit entries, lessons) leave its outbox: at
 * once, unless the coordinator is loaded — then each waits until it is HISTORY_HOLD_MS old, or until the load ends,
 * whichever comes first (issue 12, sixth pass).
 *
 * Why: locally everything runs on the runtime's one thread, and shipping history (a snapshot per stage change,
 * parsed, packed, queued, written to D1) was a fifth of its CPU per job in the harness's W1 burst. Held for the
 * burst, that work runs after it, while the jobs themselves finish sooner (W1: +20–30 % jobs/s in the experiment
 * that dropped history while loaded). In production the queue consumer and D1 run elsewhere, but reading,
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
 * "Loaded" is the feed budget's busy state (core/feed-budget `busy`): a dispatch pass left runnable work waiting
 * for a seat, or factory frames queued behind a turn, within the last BUSY_HOLD_MS.
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
