// A history queue down alone is one destination failing, not an outage of every destination (core/delivery-outage:
// "more than one destination failed"): its refused messages wait at the queue's own backoff (QueueHealth) and the
// outbox is never backed off whole for it — counted by messages, two refused history records were an "outage", and
// the whole outbox backed off up to 128 s at a time for as long as the queue was down, a watched job's live feed
// events with it (the shipper sends nothing before an outage's backoff ends). A feed event written meanwhile goes in
// the next round, each history record reaches the queue once it is up. Time moves by setting the rounds' clock.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import { deliveryHost } from "./state";

describe("the history queue down alone for 10 minutes", () => {
  it("never backs the whole outbox off; a feed event written meanwhile goes in the next round", async () => {
    const product = "outbox-one-queue-down";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      let clock = 1_000_000_000;
      let up = false;
      const took: number[] = [];
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const queue = {
        send: (m: HistoryMessage) => {
          if (!up) return Promise.reject(new Error("queue unavailable"));
          took.push(...m.records.map((r) => r.seq));
          return Promise.resolve();
        },
      };
      const e = { ...env, HISTORY_QUEUE: queue } as unknown as Env;
      const host = deliveryHost(product, sql, {
        env: e,
        appendFeeds: (batches) => appendFeeds(e, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      state.storage.transactionSync(() => {
        for (let i = 0; i < 3; i++) enqueueAudit(tx(), "op", `during-${i}`, "product");
      });
      const start = clock;
      const backoffs: number[] = [];
      let outageRounds = 0;
      let eventAt: number | undefined;
      let eventGoneAt: number | undefined;
      const eventsLeft = () => sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'event'").one().n;
      for (let n = 0; n < 500 && clock - start < 10 * 60_000; n++) {
        const o = await deliverOutbox(host, outageRounds);
        if (eventAt !== undefined && eventGoneAt === undefined && eventsLeft() === 0) eventGoneAt = clock;
        if (o.backoffUntil !== undefined) backoffs.push(o.backoffUntil - clock);
        outageRounds = o.backoffUntil === undefined ? 0 : outageRounds + 1;
        const wake = o.backoffUntil ?? o.wakeAt ?? clock + 60_000;
        // A watched job's event, written 3 minutes in: the shipper runs a round at once unless backed off.
        const writeAt = start + 3 * 60_000;
        if (eventAt === undefined && wake > writeAt) {
          clock = Math.max(clock + 1_000, writeAt);
          eventAt = clock;
          state.storage.transactionSync(() => {
            enqueueEvent(tx(), "job_watched", "log", { lines: ["live"] });
            wantFeed(tx(), "job_watched");
          });
          if (o.backoffUntil !== undefined) clock = Math.max(clock, o.backoffUntil);
          continue;
        }
        clock = Math.max(clock + 1_000, wake);
      }
      up = true;
      clock += 5 * 60_000;
      await deliverOutbox(host, 0);
      return { backoffs, eventWait: (eventGoneAt ?? Number.POSITIVE_INFINITY) - (eventAt ?? 0), took };
    });
    expect(out.backoffs).toEqual([]);
    expect(out.eventWait).toBe(0);
    expect([...out.took].sort((a, b) => a - b)).toEqual([...new Set(out.took)].sort((a, b) => a - b));
    expect(new Set(out.took).size).toBe(3);
  });
});
