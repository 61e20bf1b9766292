/**
 * Set-up of the outbox tests that run delivery rounds on a clock they set (outbox-blocked-scan):
 * a product's coordinator storage with its units at `clock.at`, a job's first event refused and due again later, and
 * a delivery host whose job feeds are a stand-in that takes, refuses or records appends. Time is set, never waited.
 */
import { env } from "cloudflare:test";
import type { FeedBudget } from "../../src/core/feed-budget.ts";
import type { DeliveryHost } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { deliveryHost } from "./state";

/** A coordinator's storage named for `product`, its units' clock at `clock.at` (ms), starting at `start`. */
export function clockedProduct(state: DurableObjectState, product: string, start: number) {
  const sql = state.storage.sql;
  sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
  const clock = { at: start };
  const transact = <T>(fn: (t: Tx) => T): T =>
    state.storage.transactionSync(() => fn({ sql, productId: product, now: clock.at }));
  return { sql, clock, transact };
}

/**
 * `jobId`'s first pending event refused three times, its next try at `nextAt` (ms), the last failure at `failedAt`
 * (ms): every later event of the job waits behind it (a feed keeps its order).
 */
export function blockFirstEvent(sql: SqlStorage, jobId: string, nextAt: number, failedAt: number): void {
  sql.exec(
    `INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at)
     SELECT min(seq), 3, ?, 'refused', ?, ? FROM outbox WHERE job_id = ?`,
    nextAt,
    jobId,
    failedAt,
    jobId,
  );
  sql.exec("UPDATE outbox SET retrying = 1 WHERE seq IN (SELECT seq FROM outbox_retries)");
}

/** What a stand-in job feed does with an append: the count it took, or a rejection. */
export type Append = (product: string, job: string, events: FeedAppend[]) => Promise<number>;

/**
 * A delivery host on `sql` at `clock.at` whose job feeds are `append` (every job's the same), with `feeds` as its
 * feed budget when given; `feedEnv` is the Worker's env with that feed, for a shipper's flush.
 */
export function feedHost(
  product: string,
  sql: SqlStorage,
  append: Append,
  clock: { at: number },
  transact: DeliveryHost["transact"],
  feeds?: FeedBudget,
) {
  const feedEnv = { ...env, JOB_FEED: { getByName: () => ({ append }) } } as unknown as Env;
  const host = deliveryHost(product, sql, {
    env: feedEnv,
    appendFeeds: (b) => appendFeeds(feedEnv, product, b),
    now: () => clock.at,
    transact,
  });
  return { feedEnv, host: feeds ? { ...host, feeds } : host };
}
