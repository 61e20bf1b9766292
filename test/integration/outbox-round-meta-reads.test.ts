// A delivery round's queue and outage bookkeeping (outbox/queue-health: a queue's refusal, when it last took a
// message, the outage's start — all kept in the `meta` table so an eviction forgets none) costs no statement on that
// table in a steady round: the meta cache keeps each value, a known absence too, once the instance has read it. So
// no flag in memory for "no outage or refusal known" is needed; an evicted instance reads each key once, from SQLite.
// Counted by the statements' text, never by time.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { deliveryHost } from "./state";

describe("steady delivery rounds, every destination up", () => {
  it("run no statement on the meta table after the instance's first round", async () => {
    const product = "outbox-round-meta-reads";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      state.storage.sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const texts: string[] = [];
      // One handle for every round, as one coordinator instance has: the meta cache is per handle.
      const sql = new Proxy(state.storage.sql, {
        get(target, key) {
          if (key === "exec")
            return (q: string, ...b: SqlStorageValue[]) => {
              texts.push(q);
              return target.exec(q, ...b);
            };
          const v = Reflect.get(target, key) as unknown;
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      let clock = 1_000_000_000;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const host = deliveryHost(product, sql, {
        appendFeeds: (b) => appendFeeds(env, product, b),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const write = (n: number) =>
        state.storage.transactionSync(() => {
          enqueueEvent(tx(), "job_m", "log", { lines: [`line ${n}`] });
          wantFeed(tx(), "job_m");
          enqueueAudit(tx(), "op", `write-${n}`, "product");
        });
      write(0);
      await deliverOutbox(host, 0); // the instance's first round reads each key it asks once
      const steady: string[][] = [];
      for (let n = 1; n <= 5; n++) {
        clock += 1_000;
        write(n);
        texts.length = 0;
        const o = await deliverOutbox(host, 0);
        expect(o.settled).toBe(2);
        steady.push(texts.filter((q) => /\bmeta\b/.test(q)));
      }
      return steady;
    });
    expect(out).toEqual([[], [], [], [], []]);
  });
});
