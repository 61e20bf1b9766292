/**
 * @module worker/feed-relay
 * Appends a coordinator's feed events to each job's JobFeed from a short-lived
 * Worker invocation (a loopback `ctx.exports` call), never from the
 * coordinator itself. Why: a stub made inside a Durable Object lives as long as
 * the object's own I/O context — it is released only when the coordinator's
 * isolate happens to collect garbage — and a live stub keeps its JobFeed
 * resident with its SQLite files open. Measured locally: feeds called straight
 * from the coordinator piled up (1,800 open after a 4,000-job burst, none
 * evicted) until the runtime ran out of file descriptors (`SQLITE_CANTOPEN`).
 * Stubs made here die with this invocation, so each feed is evicted ~10 s
 * after its last append, and the coordinator's FeedBudget holds.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { feedName } from "../durable-objects/coordinator/outbox-delivery.ts";
import type { FeedAppend } from "../durable-objects/job-feed.ts";

/** Feed RPCs in flight at once per relay call: keeps a round short without flooding the runtime. */
const CONCURRENCY = 16;

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
 * Appends each batch to its job's feed, at most CONCURRENCY at a time. Never
 * throws for one feed's failure: it is reported in that batch's result.
 */
export async function appendFeeds(env: Env, productId: string, batches: FeedBatch[]): Promise<FeedBatchResult[]> {
  const results: FeedBatchResult[] = new Array(batches.length);
  let next = 0;
  const runner = async () => {
    while (next < batches.length) {
      const i = next++;
      const b = batches[i]!;
      const feed = env.JOB_FEED.getByName(feedName(productId, b.jobId));
      const steps = b.oneByOne ? b.events.map((e) => [e]) : [b.events];
      let delivered = 0;
      try {
        for (const step of steps) {
          await feed.append(productId, b.jobId, step);
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

/** The loopback entrypoint the coordinator calls through `ctx.exports.FeedRelay`. */
export class FeedRelay extends WorkerEntrypoint<Env> {
  async append(productId: string, batches: FeedBatch[]): Promise<FeedBatchResult[]> {
    return appendFeeds(this.env, productId, batches);
  }
}
