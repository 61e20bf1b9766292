/**
 * @module worker/queues/retry
 * Every consumer's retry delay (`message.retry({ delaySeconds })`), drawn afresh for each message (core/backoff, full
 * jitter): the messages of one batch that failed together — a coordinator or D1 outage fails them all — come back
 * spread over their backoff's range, not in one second, as one herd on the dependency that just recovered.
 */
import { backoffSeconds, QUEUE_BACKOFF } from "../../core/backoff.ts";
import { WEBHOOK_BACKOFF } from "../../core/webhook-signature.ts";

/** The dispatch, history and dead-letter consumers' delay after delivery `attempts` failed, whole s (0 … 60). */
export function queueRetryDelay(attempts: number): number {
  return backoffSeconds(attempts, QUEUE_BACKOFF, Math.random());
}

/** The webhook consumer's delay after delivery `attempts` failed, whole s (0 … 300). */
export function webhookRetryDelay(attempts: number): number {
  return backoffSeconds(attempts, WEBHOOK_BACKOFF, Math.random());
}
