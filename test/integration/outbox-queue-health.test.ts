// A record the history queue refuses while it takes the product's other messages is dead-lettered after its tries even
// when the coordinator restarts between the rounds (an eviction: its in-memory view of the queue is gone), not retried
// for ever: when the queue last took a message is kept with the outbox, not only in memory.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DELIVERY_ATTEMPTS } from "../../src/core/delivery-retry.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { enqueueAudit } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import { deliveryHost } from "./state";

describe("a poison record across coordinator restarts", () => {
  it("is blamed once the queue took another message since it failed, though the coordinator restarted in between", async () => {
    const product = "outbox-poison-restarts";
    const refusing = {
      send: (body: HistoryMessage, opts?: QueueSendOptions) =>
        body.records.some((r) => r.body.action === "poison")
          ? Promise.reject(new Error("queue refused the message"))
          : env.HISTORY_QUEUE.send(body, opts),
    };
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      let clock = 1_000_000;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      // Each call is a new coordinator instance: a fresh QueueHealth, as after an eviction.
      const restarted = () =>
        deliveryHost(product, sql, {
          env: { ...env, HISTORY_QUEUE: refusing } as unknown as Env,
          appendFeeds: (batches) => appendFeeds(env, product, batches),
          now: () => clock,
          transact: (fn) => state.storage.transactionSync(() => fn(tx())),
        });
      const write = (fn: (t: Tx) => void) => state.storage.transactionSync(() => fn(tx()));
      const waiting = () =>
        sql
          .exec<{ t: number | null; a: number | null }>(
            "SELECT MIN(next_at) AS t, MAX(attempts) AS a FROM outbox_retries",
          )
          .one();
      write((t) => enqueueAudit(t, "op", "poison", "job_p"));
      await deliverOutbox(restarted(), 0); // alone, in a round the queue took nothing in: not blamed
      const rounds = 3 * MAX_DELIVERY_ATTEMPTS;
      for (let round = 1; round <= rounds && waiting().t !== null; round++) {
        // The product's other activity goes out while the poison record waits, and the queue takes it ...
        clock += 1;
        write((t) => enqueueAudit(t, "op", `other-${round}`, "job_o"));
        await deliverOutbox(restarted(), 0);
        // ... then the coordinator is evicted, and a new instance retries the poison record when it is due.
        clock = Math.max(clock + 1, waiting().t ?? clock);
        await deliverOutbox(restarted(), 0);
      }
      const dead = sql.exec<{ id: string; attempts: number }>("SELECT id, attempts FROM dead_letters").toArray();
      return { dead, left: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind <> 'event'").one().n };
    });
    expect(out.dead).toEqual([{ id: "outbox:1", attempts: MAX_DELIVERY_ATTEMPTS }]);
  });
});
