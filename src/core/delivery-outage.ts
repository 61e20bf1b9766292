/**
 * @module core/delivery-outage
 * How long the outbox rides out an outage. A delivery round in which nothing was delivered and more than one
 * destination failed may be the runtime itself failing (a restart: every RPC and every queue send refused for a
 * while), so it counts no try against any record and backs the whole outbox off. But the same round is also what
 * two job feeds that each refuse for good (a JobFeed's storage full) look like in an otherwise quiet product: counted
 * as an outage every round, their events were never tried against, never dead-lettered, and held their jobs' later
 * events — and their REST events page, artifact commit and deletion (503 until the feed has them all) — for ever.
 *
 * Chosen: a bound in time, not a destination-level signal. A signal would need a probe that the failing feeds are
 * not, and a probe can fail for its own reasons (its own object, its own queue) — which is the same fault again,
 * unbounded; nor can one failed RPC tell a refusing object from a runtime that refuses it, as one failed queue send
 * cannot (core/delivery-retry `blamesRecord`). Time bounds it whatever the cause: an outage counts no try while it
 * is younger than OUTAGE_HORIZON_MS, the retry schedule's own horizon (254 s, longer than any restart); after that
 * its rounds are judged as any other (a feed's refusal counts as a try, a queue's still by `blamesRecord`, so a
 * history queue that is down still dead-letters nothing). A real outage of the whole runtime that outlasts it costs
 * dead letters of job feed events — alerted and redrivable — where it had cost a job held for ever.
 * Pure: `now` and the outage's start are parameters (ms); the coordinator keeps the start across restarts.
 */
import { MAX_DELIVERY_ATTEMPTS, RETRY_CAP_MS, retryDelayMs } from "./delivery-retry.ts";

/** The retry schedule's horizon (ms): from a record's first counted failure to its last try, 2 + 4 + … + 128 s. */
export const RETRY_HORIZON_MS = Array.from({ length: MAX_DELIVERY_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1)).reduce(
  (a, b) => a + b,
  0,
);

/** How long (ms) rounds in which every destination failed count no try: the retry schedule's horizon, 254 s. */
export const OUTAGE_HORIZON_MS = RETRY_HORIZON_MS;

/**
 * Whether a round in which nothing was delivered and more than one destination failed is ridden out as an outage
 * (no try counted, the whole outbox backed off).
 * @param since when the run of such rounds began (ms): the first of them since a round last delivered anything
 * @param now the round's time (ms)
 * @returns true while the outage is younger than OUTAGE_HORIZON_MS; false after, when its failures count
 */
export function ridesOutOutage(since: number, now: number): boolean {
  return now - since < OUTAGE_HORIZON_MS;
}

/**
 * The latest time (ms) by which a record refused in every round of an outage begun at `since` (ms) is dead-lettered:
 * the outage's horizon, plus the last outage backoff that may overshoot it (at most RETRY_CAP_MS), plus its own
 * retries — each round at most `lateMs` (ms) after it was due (the alarm's lateness).
 */
export function deadLetteredBy(since: number, lateMs: number): number {
  return since + OUTAGE_HORIZON_MS + RETRY_CAP_MS + RETRY_HORIZON_MS + (MAX_DELIVERY_ATTEMPTS + 1) * lateMs;
}

/**
 * Whole seconds a reader refused by an outage backoff window's probe is told to wait (`Retry-After`): the window's
 * remaining time, from `now` to its end `until` (ms), rounded up — no flush of its feed sends before then, so a client
 * told 1 s asked again up to 128 times in one window, each refused at once — at least 1, and at most the retry
 * schedule's cap (RETRY_CAP_MS: no window is longer; a clock that jumped cannot ask a client to wait for ever).
 */
export function windowRetryAfterSeconds(until: number, now: number): number {
  return Math.min(Math.max(1, Math.ceil((until - now) / 1000)), RETRY_CAP_MS / 1000);
}
