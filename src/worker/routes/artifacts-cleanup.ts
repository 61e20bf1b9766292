/**
 * @module worker/routes/artifacts-cleanup
 * The artifact routes' clean-up calls to a job's feed — an upload given up (`abandon`), doomed bytes deleted now
 * (`sweep`) — each waited for only within CLEANUP_BOUND (durable-objects/call-bound `answeredWithin`): the feed does
 * both again by itself (an intent past its TTL is given up, its alarm sweeps), so a stuck or overloaded feed must not
 * hold the uploader's answer. Awaited with no bound, a feed that never answered held the request for ever, its refusal
 * (or its 201) never sent.
 */
import { answeredWithin, UnansweredError } from "../../durable-objects/call-bound.ts";

type Feed = ReturnType<Env["JOB_FEED"]["getByName"]>;

/**
 * How long a clean-up call is waited for, ms. Both are a storage write and an R2 delete of a key or two:
 * milliseconds on any feed that answers, so 10 s is far past a slow one, and short beside what an uploader waits for
 * its upload. A field, not a constant, so that a test can set it short (its value is no claim, its existence is).
 */
export const CLEANUP_BOUND = { ms: 10_000 };

/**
 * The upload of `key` given up: the feed deletes its bytes unless a pointer names them. Should this call fail or go
 * unanswered within CLEANUP_BOUND, the intent stays and the feed's alarm gives it up when it expires — logged, not
 * worth masking the first error. Never throws.
 */
export async function abandon(feed: Feed, key: string): Promise<void> {
  await bounded(feed.abandonUpload(key), "abandonUpload", `artifact upload ${key} left to expire`);
}

/** Doomed bytes deleted now rather than by the feed's alarm (which retries what fails or is left here). Never throws. */
export async function sweep(feed: Feed): Promise<void> {
  await bounded(feed.sweep(), "sweep", "artifact bytes left to the feed's alarm");
}

async function bounded(call: Promise<unknown>, what: string, left: string): Promise<void> {
  try {
    await answeredWithin(call, CLEANUP_BOUND.ms, `job feed ${what}`);
  } catch (err) {
    // Unanswered, the call goes on in the feed; its outcome is the feed's to finish.
    console.warn(`${left}: ${err instanceof UnansweredError ? err.message : String(err)}`);
  }
}
