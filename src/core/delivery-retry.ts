/**
 * @module core/delivery-retry
 * When an undeliverable outbox record is tried again, and when it is given up on
 * and moved to the dead letters: capped exponential backoff per record, a fixed
 * number of tries, and an immediate dead letter for a record that can never fit
 * its destination. Pure: `now` is a parameter, so tests set state instead of sleeping.
 *
 * Why per record and not per batch: one poison record retried at the head of the
 * outbox would hold back every record behind it (a whole product's feed and
 * history) for as long as it fails. Counting tries on the record itself lets the
 * others flow past it, and bounds how long it may keep failing.
 */

/**
 * Tries before a record becomes a dead letter. With the backoff below the last
 * try comes ~4 min after the first failure (2 + 4 + … + 128 s = 254 s; a queue's
 * outage counts no try at all: `blamesRecord`) — long enough to ride out a blip of
 * the history queue or one job's feed, short enough that an operator hears of a
 * real poison record the same hour.
 */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** First retry delay (ms): the old whole-outbox retry interval. */
export const RETRY_BASE_MS = 2_000;
/** Backoff cap (ms): a sick destination is still probed every few minutes. */
export const RETRY_CAP_MS = 5 * 60_000;

/** The source of every dead letter the coordinator writes; what the alerts work will match on. */
export const OUTBOX_DEAD_LETTER_ALERT = "outbox.dead_letter" as const;

export type RetryDecision =
  | { kind: "retry"; attempts: number; nextAt: number }
  | { kind: "dead_letter"; attempts: number; reason: string };

/**
 * Delay before try number `attempts + 1`, after `attempts` failures (≥ 1):
 * 2 s, 4 s, 8 s … capped at 5 min.
 * @returns milliseconds
 */
export function retryDelayMs(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(RETRY_BASE_MS * 2 ** (n - 1), RETRY_CAP_MS);
}

/**
 * What to do with a record whose delivery just failed.
 * @param previousAttempts failed tries before this one (0 for a first failure)
 * @param now ms since the epoch
 * @param error what the destination said, kept in the dead letter's reason
 * @returns retry at `nextAt` (ms), or dead-letter once MAX_DELIVERY_ATTEMPTS tries failed
 */
export function afterFailure(previousAttempts: number, now: number, error: string): RetryDecision {
  const attempts = previousAttempts + 1;
  if (attempts >= MAX_DELIVERY_ATTEMPTS) {
    return { kind: "dead_letter", attempts, reason: `delivery failed ${attempts} times; last error: ${error}` };
  }
  return { kind: "retry", attempts, nextAt: now + retryDelayMs(attempts) };
}

/**
 * Whether a failed send to a queue is a try against the record (counted toward its dead letter), or says only that
 * the queue is down. One failure cannot tell a poison record from an outage: the record is blamed only when the same
 * queue took another message in the same round, or since the record last failed — the queue was up, yet refused it.
 * Else nothing shows the queue up: an outage of the history queue longer than the retries (a few minutes) had
 * dead-lettered, for good, every history record of a quiet product written meanwhile.
 * @param acceptedThisRound the queue took another message in the round this send failed in (a probe sent to ask,
 *   when it was sent nothing else: outbox/round-plan `probeQueue`)
 * @param lastAcceptedAt when the queue last took a message (ms), undefined when it never did (kept across restarts)
 * @param lastFailedAt when this record's send last failed (ms), undefined on its first failure
 */
export function blamesRecord(acceptedThisRound: boolean, lastAcceptedAt?: number, lastFailedAt?: number): boolean {
  if (acceptedThisRound) return true;
  return lastAcceptedAt !== undefined && lastFailedAt !== undefined && lastAcceptedAt >= lastFailedAt;
}

/**
 * A record that cannot fit its destination's message on its own will fail the
 * same way forever: it is dead-lettered at once, never retried.
 * @param bytes the record's size as it would be sent (UTF-8 bytes)
 * @param maxBytes the destination's per-message budget (bytes)
 * @returns the dead-letter reason, or undefined when it fits
 */
export function tooLargeReason(bytes: number, maxBytes: number): string | undefined {
  return bytes > maxBytes ? `record of ${bytes} bytes exceeds the ${maxBytes}-byte message budget` : undefined;
}
