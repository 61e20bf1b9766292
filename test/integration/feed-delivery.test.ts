// How the outbox ships a job's events to its feed: held until read, never retried once a reader's flush delivered
// them. Events are coalesced into one append until the hold ends or somebody reads, shipped at once when somebody
// does, and a round racing a reader's flush neither retries nor dead-letters what the flush delivered. The tests
// drive the delivery round directly, through one DeliveryHost fixture (state.ts `deliveryHost`).

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DELIVERY_ATTEMPTS } from "../../src/core/delivery-retry.ts";
import { FEED_HOLD_MS } from "../../src/core/feed-hold.ts";
import { deliverOutbox, deliverRound } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { dueEvents } from "../../src/durable-objects/coordinator/outbox/due-rows.ts";
import {
  appendFeeds,
  type FeedBatch,
  type FeedBatchResult,
} from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { FeedEventType, JobEvent } from "../../src/shared/protocol.ts";
import { ADMIN, api, P, submit } from "./client";
import { deliveryHost } from "./state";

// The feed hold (core/feed-hold, issue 12 item 2): a job's feed events wait in the outbox to be coalesced into
// ONE append — one feed object created, one call — until the hold ends or somebody reads the feed; a read ships
// them first, so no reader can see the hold, and a read job's later events are never held.

const feedOf = (product: string, jobId: string) =>
  env.JOB_FEED.getByName(feedName(product, jobId)).list(0, 100) as Promise<{
    events: Array<{ type: string }>;
    lastSeq: number;
  }>;

describe("feed hold", () => {
  it("a job's events written within the hold reach its feed in one append, when the hold ends", async () => {
    const product = "hold-coalesce";
    const calls: FeedBatch[][] = [];
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      let clock = 10_000_000;
      const sql = state.storage.sql;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const host = deliveryHost(product, sql, {
        appendFeeds: (batches) => {
          calls.push(batches);
          return appendFeeds(env, product, batches);
        },
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const write = (type: FeedEventType) => state.storage.transactionSync(() => enqueueEvent(tx(), "job_h", type));
      write("job.submitted");
      const first = await deliverOutbox(host, 0);
      clock += 1_000;
      write("lease.granted");
      const second = await deliverOutbox(host, 0);
      clock += 1_000;
      write("progress");
      clock = 10_000_000 + FEED_HOLD_MS; // the oldest event has waited the whole hold
      const last = await deliverOutbox(host, 0);
      return { first, second, last };
    });
    // Held: nothing sent, and the shipper is told when the hold ends.
    expect(out.first).toEqual({ settled: 0, wakeAt: 10_000_000 + FEED_HOLD_MS });
    expect(out.second.settled).toBe(0);
    // Then one call, one feed, all three events in order.
    expect(out.last.settled).toBe(3);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((b) => [b.jobId, b.events.map((e) => e.type)])).toEqual([
      ["job_h", ["job.submitted", "lease.granted", "progress"]],
    ]);
    expect((await feedOf(product, "job_h")).events.map((e) => e.type)).toEqual([
      "job.submitted",
      "lease.granted",
      "progress",
    ]);
  });

  it("a read opens the feed: held events are shipped before it answers, and the job's later events are due at once", async () => {
    const product = "hold-read";
    const job = await submit(product, { title: "read me" });
    // Held in the outbox: the feed object has nothing yet (the hold is seconds; this runs in milliseconds).
    expect((await feedOf(product, job.id)).lastSeq).toBe(0);
    const read = await api<{ events: Array<{ type: string }> }>("GET", `${P(product)}/jobs/${job.id}/events`, {
      token: ADMIN,
    });
    expect(read.body.events.map((e) => e.type)).toContain("job.submitted");
    // Wanted now: an event written later is due at once (`at` 0), a job nobody reads keeps its write time.
    const other = await submit(product, { title: "unread" });
    const rows = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.transactionSync(() => {
        const tx: Tx = { sql: state.storage.sql, productId: product, now: Date.now() };
        enqueueEvent(tx, job.id, "log", { text: "after the read" });
        enqueueEvent(tx, other.id, "log", { text: "nobody reads this" });
      });
      return state.storage.sql
        .exec<{ job_id: string; at: number }>(
          "SELECT job_id, at FROM outbox WHERE kind = 'event' AND body LIKE '%\"log\"%'",
        )
        .toArray();
    });
    expect(rows.find((r) => r.job_id === job.id)?.at).toBe(0);
    expect(rows.find((r) => r.job_id === other.id)?.at).toBeGreaterThan(0);
  });

  it("a read of a job holding thousands of events sees every one of them, in order, at once", async () => {
    // A chatty job's events held on a slow box outnumber one feed call (1,000): the read's flush ships them all
    // first. Shipping 1,000 ended a page's replay early and cut a REST read short (CI, dashboard-scale-job).
    const product = "hold-chatty";
    const job = await submit(product, { title: "chatty" });
    const HELD = 2_500;
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.transactionSync(() => {
        const tx: Tx = { sql: state.storage.sql, productId: product, now: Date.now() };
        for (let n = 0; n < HELD; n++) enqueueEvent(tx, job.id, "log", { n });
      });
    });
    expect((await feedOf(product, job.id)).lastSeq).toBe(0); // all of them held
    const read = await api<{ events: Array<{ seq: number; type: string; data: { n?: number } }>; lastSeq: number }>(
      "GET",
      `${P(product)}/jobs/${job.id}/events?after=${HELD - 1}&limit=500`,
      { token: ADMIN },
    );
    expect(read.body.lastSeq).toBe(HELD + 1); // job.submitted, then the held log events
    expect(read.body.events.map((e) => [e.seq, e.data.n])).toEqual([
      [HELD, HELD - 2],
      [HELD + 1, HELD - 1],
    ]);
  });

  it("wanting a feed makes every event of it already held due at once, so its order is kept", async () => {
    const product = "hold-order";
    const ats = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        const tx: Tx = { sql, productId: product, now: 5_000 };
        enqueueEvent(tx, "job_o", "job.submitted");
        wantFeed(tx, "job_o");
        enqueueEvent(tx, "job_o", "log", { text: "x" });
      });
      return sql.exec<{ at: number }>("SELECT at FROM outbox WHERE job_id = 'job_o' ORDER BY seq").toArray();
    });
    expect(ats.map((r) => r.at)).toEqual([0, 0]);
  });
});

// A reader opening a feed ships that job's events at once (outbox/shipper `flushFeed`), beside the delivery loop —
// so the loop's round may carry the same events. When the reader's flush lands them and the round's own call then
// fails (the feed object reset under it), the round must not schedule a retry of records that are no longer in the
// outbox: an orphan retry row held every later event of the job back from its live watchers until its retry time
// (up to 5 minutes), and a record on its last try was dead-lettered — audited and alerted — though it was delivered.
// (Found by a concurrency reviewer.)

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
    const host = deliveryHost(product, sql, {
      now: () => Date.now(),
      transact,
      // The reader's flush gets in first and lands the events; the round's own call then fails.
      appendFeeds: async (batches: FeedBatch[]): Promise<FeedBatchResult[]> => {
        await shipper.flushFeed(jobId);
        return batches.map((b) => ({ jobId: b.jobId, delivered: 0, error: "Error: Durable Object reset" }));
      },
    });
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
