/**
 * @module durable-objects/coordinator/outbox/feed-append
 * Appends one delivery round's feed events to the jobs' JobFeeds: one call per
 * job, at most CONCURRENCY in flight, each job's outcome reported on its own
 * (how many of its events went in order, and why the rest did not), and every
 * call's result disposed at once rather than left to garbage collection.
 */

import { feedName } from "../../../shared/coordinator-rpc.ts";
import type { FeedAppend } from "../../job-feed.ts";

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
          const call = feed.append(productId, b.jobId, step);
          try {
            await call;
          } finally {
            // An undisposed RPC result is released only by garbage collection; nothing here needs it.
            (call as unknown as Partial<Disposable>)[Symbol.dispose]?.();
          }
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
