// The feed hold (core/feed-hold, issue 12 item 2): a job's feed events wait in the outbox to be coalesced into
// ONE append — one feed object created, one call — until the hold ends or somebody reads the feed; a read ships
// them first, so no reader can see the hold, and a read job's later events are never held.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FeedBudget } from "../../src/core/feed-budget.ts";
import { FEED_HOLD_MS } from "../../src/core/feed-hold.ts";
import { type DeliveryHost, deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds, type FeedBatch } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { FeedEventType } from "../../src/shared/protocol.ts";
import { ADMIN, api, P, submit } from "./client";

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
      const host: DeliveryHost = {
        env,
        productId: product,
        sql,
        feeds: new FeedBudget(),
        historyHeld: () => false,
        appendFeeds: (batches) => {
          calls.push(batches);
          return appendFeeds(env, product, batches);
        },
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      };
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
