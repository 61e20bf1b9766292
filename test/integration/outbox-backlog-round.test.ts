// A whole delivery round costs the same however many records wait for a queue that is down: with the history queue
// refusing, a round over one fresh record reads as many rows behind 5,000 waiting records as behind 100 — its look
// for the next retry time included (it read every waiting record, each round, for as long as the outage lasted). And
// a round after the queue refused a whole one asks it with one message, not with each due waiting record alone (200
// refused sends a round); once the queue takes that one, every waiting record goes.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliverOutbox, deliverRound } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { waitForQueue } from "../../src/durable-objects/coordinator/outbox/retries.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import { countingSql } from "./sql-counting.ts";
import { deliveryHost } from "./state";

/** Rows one round reads with `waiting` records (half history, half feed events) waiting for their queue. */
async function roundRows(product: string, waiting: number) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const raw = state.storage.sql;
    raw.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    const write = (now: number, fn: (t: Tx) => void) =>
      state.storage.transactionSync(() => fn({ sql: raw, productId: product, now }));
    write(1_000, (t) => {
      for (let i = 0; i < waiting / 2; i++) enqueueAudit(t, "op", `during-${i}`, "product");
      for (let i = 0; i < waiting / 2; i++) enqueueEvent(t, `job_${i}`, "log", { lines: ["x"] });
    });
    const rows = raw.exec<{ seq: number; kind: string; job_id: string | null }>("SELECT seq, kind, job_id FROM outbox");
    const waits = rows.toArray();
    write(2_000, (t) => {
      for (const { seq, kind, job_id } of waits) {
        const record = { seq, kind, body: { jobId: job_id }, attempts: 0 } as never;
        waitForQueue(t, record, kind === "event" ? "feed unavailable" : "queue unavailable", 300_000 + seq);
      }
    });
    write(3_000, (t) => enqueueAudit(t, "op", "fresh", "product"));
    const counted = countingSql(raw);
    const down = { send: () => Promise.reject(new Error("queue unavailable")) };
    const host = deliveryHost(product, counted.sql, {
      env: { ...env, HISTORY_QUEUE: down } as unknown as Env,
      appendFeeds: (batches) => appendFeeds(env, product, batches),
      now: () => 4_000,
      transact: (fn) => state.storage.transactionSync(() => fn({ sql: counted.sql, productId: product, now: 4_000 })),
    });
    const out = await deliverOutbox(host, 0);
    return { out, rowsRead: counted.rowsRead() };
  });
}

describe("a delivery round while a queue is down", () => {
  it("reads as many rows behind 5,000 waiting records as behind 100, and wakes for the first retry due", async () => {
    const few = await roundRows("outbox-backlog-100", 100);
    const many = await roundRows("outbox-backlog-5000", 5_000);
    expect(few.out.settled).toBe(0);
    expect(many.out.settled).toBe(0);
    // The earliest wake-up is still found: the fresh record's own wait (2 s) comes before the backlog's retries.
    expect(many.out.wakeAt).toBe(few.out.wakeAt);
    expect(many.rowsRead).toBe(few.rowsRead);
  });
});

describe("a round after its queue refused a whole round", () => {
  it("asks that queue with one message, not one per due waiting record; once it takes it, all of them go", async () => {
    const product = "outbox-refusing-queue";
    let now = 1_000_000; // past the feed hold of an event written at 0 (core/feed-hold)
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const write = (now: number, fn: (t: Tx) => void) =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now }));
      // 300 history records that failed while the queue was down, all due again now; and a job's feed event.
      write(1_000, (t) => {
        for (let i = 0; i < 300; i++) enqueueAudit(t, "op", `during-${i}`, "product");
      });
      const seqs = sql.exec<{ seq: number }>("SELECT seq FROM outbox").toArray();
      write(2_000, (t) => {
        for (const { seq } of seqs) waitForQueue(t, { seq, kind: "audit", body: {}, attempts: 0 } as never, "down", 0);
      });
      write(0, (t) => enqueueEvent(t, "job_refusing", "log", { lines: ["still going"] }));
      const sent: number[] = [];
      let up = false;
      const queue = {
        send: (m: HistoryMessage, opts?: QueueSendOptions) => {
          sent.push(m.records.length);
          return up ? env.HISTORY_QUEUE.send(m, opts) : Promise.reject(new Error("queue unavailable"));
        },
      };
      const host = deliveryHost(product, sql, {
        env: { ...env, HISTORY_QUEUE: queue } as unknown as Env,
        appendFeeds: (batches) => appendFeeds(env, product, batches),
        now: () => now,
        transact: (fn) => state.storage.transactionSync(() => fn({ sql, productId: product, now })),
      });
      host.queues.refusedRound(sql, "history"); // the round before: the history queue took none of its messages
      const round = await deliverRound(host);
      const asked = { records: sent.filter((n) => n > 0).length, probes: sent.filter((n) => n === 0).length };
      // The queue is back, and the record it was asked with is due again: it goes, and the rounds after send the rest.
      up = true;
      now += 5 * 60_000;
      await deliverOutbox(host, 0);
      const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
      return { round, ...asked, left };
    });
    expect(out.records).toBe(1);
    expect(out.probes).toBeLessThanOrEqual(1);
    expect(out.round.settled).toBe(1); // the feed event
    expect(out.left).toBe(0);
  });
});
