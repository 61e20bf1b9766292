// A reader opening a feed ships that job's events at once (outbox/shipper `flushFeed`), beside the delivery loop —
// so the loop's round may carry the same events. When the reader's flush lands them and the round's own call then
// fails (the feed object reset under it), the round must not schedule a retry of records that are no longer in the
// outbox: an orphan retry row held every later event of the job back from its live watchers until its retry time
// (up to 5 minutes), and a record on its last try was dead-lettered — audited and alerted — though it was delivered.
// (Found by a concurrency reviewer.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DELIVERY_ATTEMPTS } from "../../src/core/delivery-retry.ts";
import { FeedBudget } from "../../src/core/feed-budget.ts";
import { type DeliveryHost, deliverRound } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { dueEvents } from "../../src/durable-objects/coordinator/outbox/due-rows.ts";
import type { FeedBatch, FeedBatchResult } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";

/**
 * One delivery round over this coordinator's SQLite whose feed call loses a race: a reader's flush of the same job
 * runs first and succeeds, then the round's own call fails. `lastTry`: the job's first event has already failed
 * MAX_DELIVERY_ATTEMPTS − 1 times, so a failure recorded now would dead-letter it.
 */
async function roundLosingToFlush(product: string, jobId: string, lastTry: boolean) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    setMeta(sql, "product_id", product);
    const transact = <T>(fn: (t: Tx) => T): T =>
      state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
    transact((t) => {
      wantFeed(t, jobId); // a watcher reads it: its events are due at once
      enqueueEvent(t, jobId, "progress", { n: 1 });
      enqueueEvent(t, jobId, "progress", { n: 2 });
    });
    const seqs = sql
      .exec<{ seq: number }>("SELECT seq FROM outbox WHERE job_id = ? ORDER BY seq", jobId)
      .toArray()
      .map((r) => r.seq);
    if (lastTry) {
      sql.exec(
        "INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id) VALUES (?, ?, ?, 'earlier', ?)",
        seqs[0]!,
        MAX_DELIVERY_ATTEMPTS - 1,
        Date.now() - 1,
        jobId,
      );
    }
    const units = { sql, productId: product, transact } as unknown as Units;
    const shipper = new OutboxShipper(env, units, async () => {});
    const host: DeliveryHost = {
      env,
      productId: product,
      sql,
      feeds: new FeedBudget(),
      historyHeld: () => false,
      now: () => Date.now(),
      transact,
      // The reader's flush gets in first and lands the events; the round's own call then fails.
      appendFeeds: async (batches: FeedBatch[]): Promise<FeedBatchResult[]> => {
        await shipper.flushFeed(jobId);
        return batches.map((b) => ({ jobId: b.jobId, delivered: 0, error: "Error: Durable Object reset" }));
      },
    };
    const round = await deliverRound(host);
    // The job's next event, written after the round: due at once for its watchers, not held behind a retry.
    transact((t) => enqueueEvent(t, jobId, "progress", { n: 3 }));
    const laterDue = dueEvents(sql, Date.now(), [jobId], 10).length;
    const count = (q: string) => sql.exec<{ n: number }>(q).one().n;
    return {
      round,
      laterDue,
      outbox: count("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'event'") - 1,
      retries: count("SELECT COUNT(*) AS n FROM outbox_retries"),
      deadLetters: count("SELECT COUNT(*) AS n FROM dead_letters"),
      deadLetterAudits: count(
        "SELECT COUNT(*) AS n FROM outbox WHERE kind <> 'event' AND body LIKE '%outbox.dead_letter%'",
      ),
    };
  });
}

async function feedEvents(product: string, jobId: string) {
  const page: { events: JobEvent[] } = await env.JOB_FEED.getByName(feedName(product, jobId)).list(0, 100);
  return page.events.map((e) => e.data.n);
}

describe("a delivery round racing a reader's flush of the same feed", () => {
  it("leaves no retry behind for events the flush delivered, so the job's later events are not held", async () => {
    const product = "flush-race-retry";
    const out = await roundLosingToFlush(product, "job_race1", false);
    expect(await feedEvents(product, "job_race1")).toEqual([1, 2]);
    expect(out.outbox).toBe(0);
    expect(out.retries).toBe(0);
    expect(out.laterDue).toBe(1);
  });

  it("does not dead-letter, audit or alert a record on its last try that the flush delivered", async () => {
    const product = "flush-race-dead";
    const out = await roundLosingToFlush(product, "job_race2", true);
    expect(await feedEvents(product, "job_race2")).toEqual([1, 2]);
    expect(out.deadLetters).toBe(0);
    expect(out.deadLetterAudits).toBe(0);
    expect(out.retries).toBe(0);
  });
});
