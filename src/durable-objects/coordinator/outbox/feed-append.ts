/**
 * @module durable-objects/coordinator/outbox/feed-append
 * Appends one delivery round's feed events to the jobs' JobFeeds: one call per
 * job — several when its events pass FEED_CALL_BYTES, in order — at most
 * CONCURRENCY in flight, each job's outcome reported on its own (how many of its
 * events went in order, and why the rest did not), and every call's result
 * disposed at once rather than left to garbage collection.
 */

import { jsonBytes } from "../../../core/bytes.ts";
import { chunkBySize } from "../../../core/chunks.ts";
import { RECORD_MAX_BYTES } from "../../../core/record-bounds.ts";
import { feedName } from "../../../shared/coordinator-rpc.ts";
import { answeredWithin } from "../../call-bound.ts";
import type { FeedAppend } from "../../job-feed.ts";

/**
 * 8 MiB: the most one feed call carries, in UTF-8 bytes of its events' JSON. A Workers RPC's serialized arguments are
 * limited to 32 MiB, and 1,000 events of RECORD_MAX_BYTES.event (32 KiB) each — what a round or a reader's flush sent
 * in one call — came to ~32 MiB: the limit's edge, the call refused and the job's feed stuck behind it. The RPC
 * serializes with V8, which writes a string holding any character past U+00FF in two bytes a character, so an
 * event's JSON may take up to twice its UTF-8 size on the wire: 8 MiB of JSON is at most ~16 MiB there, half the
 * limit. Fewer, larger calls would save little: 8 MiB is ~250 of the largest events, thousands of usual ones.
 */
export const FEED_CALL_BYTES = 8 * 1024 * 1024;
/**
 * The JSON of one event as appended: its stored record (cut to RECORD_MAX_BYTES.event: outbox/records) less its
 * job id, plus its `sourceSeq`; the 64 bytes cover that field. A batch of fewer than FEED_CALL_BYTES / this many
 * events fits one call without measuring any.
 */
const EVENT_MAX_BYTES = RECORD_MAX_BYTES.event + 64;

/** Feed RPCs in flight at once per relay call: keeps a round short without flooding the runtime. */
const CONCURRENCY = 16;
/**
 * How long one feed call is waited for (ms) before it counts as failed (it goes on; the feed keeps each outbox seq
 * once, so the retry that follows appends nothing twice). A call that never settled held its round, and with it the
 * delivery loop every later one joins (the alarm's too), and its reader, for ever. Far past any call that answers (an
 * 8 MiB one on a loaded box: seconds); a reader's flush inside an artifact commit (5 s budget, then one call) stays
 * inside blockConcurrencyWhile's 30 s.
 */
export const FEED_CALL_MS = 20_000;

export interface FeedBatch {
  jobId: string;
  events: FeedAppend[];
  /** Append one event per call and stop at the first failure (a batch holding a retried record). */
  oneByOne: boolean;
}

export interface FeedBatchResult {
  jobId: string;
  /** How many of the batch's events (in order) the feed took. */
  delivered: number;
  /** Why the rest did not go, when `delivered` < the batch's size. */
  error?: string;
}

/**
 * Appends each batch to its job's feed, at most CONCURRENCY at a time; a batch's events in calls of at most
 * FEED_CALL_BYTES, one after the other, stopping at the first that fails. Never throws for one feed's failure: it is
 * reported in that batch's result (`delivered`: the events of the calls before it); a call unanswered after `callMs`
 * (FEED_CALL_MS) fails so, and so does one unanswered at `by` (ms since the epoch; a caller's own deadline: an
 * artifact commit's exclusive section) — none is begun past it.
 */
export async function appendFeeds(
  env: Env,
  productId: string,
  batches: FeedBatch[],
  callMs = FEED_CALL_MS,
  by = Number.POSITIVE_INFINITY,
): Promise<FeedBatchResult[]> {
  const results: FeedBatchResult[] = new Array(batches.length);
  let next = 0;
  const runner = async () => {
    while (next < batches.length) {
      const i = next++;
      const b = batches[i]!;
      const feed = env.JOB_FEED.getByName(feedName(productId, b.jobId));
      const steps = b.oneByOne ? b.events.map((e) => [e]) : feedCalls(b.events);
      let delivered = 0;
      try {
        for (const step of steps) {
          const left = by - Date.now();
          if (left <= 0) throw new Error(`job feed call not begun: its caller's time ran out`);
          await answeredWithin(feed.append(productId, b.jobId, step), Math.min(callMs, left));
          delivered += step.length;
        }
        results[i] = { jobId: b.jobId, delivered };
      } catch (err) {
        results[i] = { jobId: b.jobId, delivered, error: String(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, runner));
  return results;
}

/**
 * `events` in consecutive calls of at most FEED_CALL_BYTES of JSON each (one event larger alone, which a record's
 * bound rules out). Measured only when the batch could pass it: most are far under, and are sent as they are.
 */
export function feedCalls(events: FeedAppend[]): FeedAppend[][] {
  if (events.length * EVENT_MAX_BYTES <= FEED_CALL_BYTES) return [events];
  // Each event counted with its comma in the array, the brackets' one byte more in the bound: `[a,b]` is a+b+3.
  return chunkBySize(events, { maxBytes: FEED_CALL_BYTES - 1 }, (e) => jsonBytes(e) + 1);
}
