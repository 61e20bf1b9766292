/**
 * @module worker/bulk-failures
 * What the bulk routes (routes/bulk: jobs:batch, batches, tracker ingest) answer when our own side fails them: the
 * coordinator's storage, or the call to it, throws instead of answering (a Durable Object reset or overloaded, a unit
 * whose storage failed). That is no bug of the request and no bad input, so not the 500 "unexpected error" it was: a
 * 503 `unavailable` problem whose detail says what to do — send the same request again — and whether part of it may
 * already have been queued. Each item's key makes its job once, so the repeat is safe either way. A DomainError the
 * coordinator answered (a 4xx) passes through as it is.
 */
import { DomainError } from "../core/errors.ts";

/** Before anything was sent: the request left nothing behind. */
export const NOTHING_QUEUED =
  "the coordinator could not take this request just now; nothing of it was queued — send the same request again " +
  "(with the same Idempotency-Key, if it had one)";

/**
 * After the dispatch queue was sent items, before the batch's record was confirmed: some items may be on their way.
 * The record of that batch says only what is known — its jobs once made, every other item not queued (rejected
 * `unavailable`: coordinator/jobs/batch-read) — and the repeat is safe: an item whose job was made is answered
 * `exists`, the rest are queued once (worker/routes/bulk).
 */
export const SOME_QUEUED =
  "the coordinator could not record which items of this batch were queued, and some may have been; send the same " +
  "request again with the same Idempotency-Key (or, without one, the same items): each item's key makes its job " +
  "once, and the new answer says which exist and which are queued";

/** `GET …/batches/{id}`: the batch is kept, only unreadable now. */
export const BATCH_UNREADABLE = "the batch could not be read just now; it is kept — read it again shortly";

/**
 * `work`, with a throw that is not a DomainError (the coordinator unreachable, its storage failing) turned into
 * 503 `unavailable` with `detail` (one of the texts above); the cause is logged, not echoed.
 * @throws DomainError — the coordinator's own answer as it was, or `unavailable` (503)
 */
export async function orUnavailable<T>(work: Promise<T>, detail: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DomainError) throw err;
    console.error(`bulk: ${detail.split(";")[0]}: ${String(err)}`);
    throw new DomainError("unavailable", detail);
  }
}
