/**
 * @module core/rate-limit
 * What becomes of a job whose run ended `rate_limited` (its engine's provider throttled it): not the job's fault,
 * so it goes back to the queue with its attempt refunded, and the throttled factory × engine is held by its circuit
 * breaker (core/breaker) so another can take it. Bounded, because a rate limit that never lifts (or an engine that
 * prints `gf_rate_limited` on every run, with `retryAfterSeconds: 0`) must not become a free loop of paid runs:
 *   - the first rate limit of a job requeues it at once (it may run elsewhere now);
 *   - each later one waits the product's retry backoff for the count so far (core/lease `jitteredRetryDelayMs`:
 *     the 2nd waits as a 1st retry, the 3rd as a 2nd …), whatever the engine asked for;
 *   - only the first REFUNDED_RATE_LIMITS are refunded; past them each counts as an attempt, so `maxAttempts`
 *     ends the job in `dead_letter` like any other failure that keeps coming back.
 * Pure: `random` ∈ [0, 1) draws the jitter.
 */
import { jitteredRetryDelayMs, type RetryPolicy } from "./lease.ts";

/** 5 refunded rate limits per job: a provider's throttling window passes well within five backoffs (5 s … 80 s). */
export const REFUNDED_RATE_LIMITS = 5;

/** The requeue after a rate limit: wait `delayMs` (ms, ≥ 0) before it may run again; `refund` its attempt or not. */
export interface RateLimitRequeue {
  delayMs: number;
  refund: boolean;
}

/**
 * @param count this job's rate-limited runs, this one included (≥ 1)
 * @param policy the product's retry backoff (core/settings `retry`)
 */
export function afterRateLimit(count: number, policy: RetryPolicy, random: number): RateLimitRequeue {
  const n = Math.max(1, Math.floor(count));
  return {
    delayMs: n === 1 ? 0 : jitteredRetryDelayMs(n - 1, policy, random),
    refund: n <= REFUNDED_RATE_LIMITS,
  };
}
