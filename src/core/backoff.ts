/**
 * @module core/backoff
 * The one retry backoff of the queue consumers (worker/queues: dispatch, history, webhooks, dead letters):
 * exponential with full jitter — the delay is drawn uniformly from 0 up to a ceiling that doubles with each try,
 * up to a cap (AWS Architecture Blog, Marc Brooker, "Exponential Backoff And Jitter", 2015: of the schedules
 * compared there, full jitter did the least work and finished soonest under contention). Without jitter, every
 * message of a batch that failed together — a coordinator or D1 outage fails them all at once — came back in the
 * same second, and met the dependency recovering from that outage as one herd, delivery after delivery.
 *
 * Also a receiver's own word on when to come back (`Retry-After`, RFC 9110 §10.2.3), read here so the rule for
 * how long the queue waits lives in one place. Pure: `random` and `now` are parameters, so tests are exact.
 */

/** A capped exponential schedule, whole seconds (a queue's `retry({ delaySeconds })` takes whole seconds). */
export interface Backoff {
  /** The ceiling after the first failed try, s. */
  baseSeconds: number;
  /** No ceiling is above this, s. */
  capSeconds: number;
}

/**
 * The longest delay a queue message may be given (Cloudflare Queues: `delaySeconds` at most 12 hours); a longer one
 * is refused by the queue, which would leave the message to be retried at once instead.
 */
export const QUEUE_MAX_DELAY_SECONDS = 43_200;

/** The dispatch, history and dead-letter consumers' schedule: ceilings 2, 4, 8, 16, 32, then 60 s. */
export const QUEUE_BACKOFF: Backoff = Object.freeze({ baseSeconds: 2, capSeconds: 60 });

/**
 * The ceiling of the delay after `attempts` failed tries (a queue message's `attempts`: 1 on its first delivery),
 * s: `min(cap, base · 2^(attempts − 1))`, at most QUEUE_MAX_DELAY_SECONDS. Below 1, or not a number, counts as 1.
 */
export function backoffCeilingSeconds(attempts: number, backoff: Backoff): number {
  const n = Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : 1;
  // 2 ** a large n is Infinity, and min() still yields the cap.
  return Math.min(backoff.capSeconds, backoff.baseSeconds * 2 ** (n - 1), QUEUE_MAX_DELAY_SECONDS);
}

/**
 * The delay before the next try, whole s: full jitter, uniform over 0 … the ceiling (`backoffCeilingSeconds`),
 * both ends included — `⌊random · (ceiling + 1)⌋`. `random` ∈ [0, 1) (callers pass `Math.random()`); a value
 * outside is clamped into it, and one that is not a number counts as 0.
 */
export function backoffSeconds(attempts: number, backoff: Backoff, random: number): number {
  const ceiling = backoffCeilingSeconds(attempts, backoff);
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1 - Number.EPSILON) : 0;
  return Math.min(ceiling, Math.floor(r * (ceiling + 1)));
}

/**
 * A `Retry-After` header's wait, whole s from `now` (ms): delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`), a date in the past being 0. Undefined when absent or neither form, so the
 * caller keeps its own schedule. Not bounded here: the caller bounds it by its own maximum.
 */
export function retryAfterSeconds(header: string | null | undefined, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // Only a date led by its weekday, as each of RFC 9110's three forms is: Date.parse alone reads "-5" as a date too.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? \S/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
