/**
 * @module durable-objects/coordinator/outbox/feed-behind
 * What a read or an artifact write answers when a reader's flush (outbox/shipper `flushFeed`) could not ship all of
 * its job's held events.
 */
import { DomainError } from "../../../core/errors.ts";

/**
 * The refusal of what must not go on without a job's held events when `flushFeed` could not ship them all (its feed
 * failing): a REST page of its events, whose last seq reads as the log's end, and an artifact's commit or deletion,
 * whose event the feed appends itself — it went before the older events for good. `unavailable` (503): sent again
 * once the feed takes them (the loop retries them meanwhile), after `retryAfterSeconds` (outbox/shipper
 * `retryAfterSeconds`: the rest of an outage window whose probe of this feed was refused, else 1).
 */
export function feedBehind(jobId: string, retryAfterSeconds = 1): DomainError {
  const when = retryAfterSeconds > 1 ? `in ${retryAfterSeconds} s` : "in a moment";
  return new DomainError(
    "unavailable",
    `job ${jobId}'s held events could not all reach its feed yet: send again ${when}`,
    { retryAfterSeconds },
  );
}
