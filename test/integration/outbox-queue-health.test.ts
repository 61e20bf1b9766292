// A record a queue refuses while it takes the product's other messages is dead-lettered after its tries even
// when the coordinator restarts between the rounds (an eviction: its in-memory view of the queue is gone), not retried
// for ever: when the queue last took a message is kept with the outbox, not only in memory; and in a quiet product,
// whose queue is sent nothing else, a message its consumer acknowledges unread (an empty history message, a webhook
// probe) asks whether the queue is up — a webhook delivery had no probe, and was retried every 5 min for ever. And records waiting for
// a queue that is down cost a round nothing: its read of the due history reads as many rows behind 5,000 of them as
// behind 100 (a long outage no longer dead-letters them, so nothing else bounds that backlog).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DELIVERY_ATTEMPTS } from "../../src/core/delivery-retry.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { dueHistory } from "../../src/durable-objects/coordinator/outbox/due-rows.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { enqueueAudit } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { waitForQueue } from "../../src/durable-objects/coordinator/outbox/retries.ts";
import { enqueueWebhook, WEBHOOK_META_KEY } from "../../src/durable-objects/coordinator/outbox/webhook-records.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import type { WebhookQueueMessage } from "../../src/worker/queues/webhooks.ts";
import { countingSql } from "./sql-counting.ts";
import { deliveryHost } from "./state";

describe("a poison record across coordinator restarts", () => {
  it("is blamed once the queue took another message since it failed, though the coordinator restarted in between", async () => {
    const product = "outbox-poison-restarts";
    // The webhook queue refuses the poison delivery and the outbox's probe: only the other deliveries show it up.
    const refusing = {
      send: (m: WebhookQueueMessage) =>
        m.kind === "webhook_probe" || m.body.type === "poison"
          ? Promise.reject(new Error("queue refused the message"))
          : Promise.resolve(),
    };
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      setMeta(sql, WEBHOOK_META_KEY, "{}");
      let clock = 1_000_000;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      // Each call is a new coordinator instance: a fresh QueueHealth, as after an eviction.
      const restarted = () =>
        deliveryHost(product, sql, {
          env: { ...env, WEBHOOK_QUEUE: refusing } as unknown as Env,
          appendFeeds: (batches) => appendFeeds(env, product, batches),
          now: () => clock,
          transact: (fn) => state.storage.transactionSync(() => fn(tx())),
        });
      const write = (fn: (t: Tx) => void) => state.storage.transactionSync(() => fn(tx()));
      const waiting = () => sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox_retries").one();
      write((t) => enqueueWebhook(t, "poison", {}));
      await deliverOutbox(restarted(), 0); // alone, in a round the queue took nothing in: not blamed
      const rounds = 3 * MAX_DELIVERY_ATTEMPTS;
      for (let round = 1; round <= rounds && waiting().t !== null; round++) {
        // The product's other deliveries go out while the poison one waits, and the queue takes them ...
        clock += 1;
        write((t) => enqueueWebhook(t, "job.updated", {}));
        await deliverOutbox(restarted(), 0);
        // ... then the coordinator is evicted, and a new instance retries the poison record when it is due.
        clock = Math.max(clock + 1, waiting().t ?? clock);
        await deliverOutbox(restarted(), 0);
      }
      return sql.exec<{ source: string; attempts: number }>("SELECT source, attempts FROM dead_letters").toArray();
    });
    expect(out).toEqual([{ source: "outbox:webhook", attempts: MAX_DELIVERY_ATTEMPTS }]);
  });
});

describe("a poison record of a quiet product", () => {
  it("is dead-lettered after its tries though the queue is sent nothing else: an empty message shows it up", async () => {
    const product = "outbox-poison-quiet";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      let clock = 1_000_000;
      let up = true;
      const sent: number[] = [];
      const queue = {
        send: (body: HistoryMessage, opts?: QueueSendOptions) => {
          sent.push(body.records.length);
          if (!up) return Promise.reject(new Error("queue unavailable"));
          return body.records.some((r) => r.body.action === "poison")
            ? Promise.reject(new Error("queue refused the message"))
            : env.HISTORY_QUEUE.send(body, opts);
        },
      };
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const host = deliveryHost(product, sql, {
        env: { ...env, HISTORY_QUEUE: queue } as unknown as Env,
        appendFeeds: (batches) => appendFeeds(env, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const next = () => sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox_retries").one().t;
      const rounds = (n: number) => async () => {
        for (let round = 1; round <= n; round++) {
          await deliverOutbox(host, 0);
          const t = next();
          if (t === null) return;
          clock = Math.max(clock + 1, t);
        }
      };
      // While the queue is down, the probe is refused too: the record waits, unblamed.
      state.storage.transactionSync(() => enqueueAudit(tx(), "op", "poison", "job_p"));
      up = false;
      await rounds(2 * MAX_DELIVERY_ATTEMPTS)();
      const during = sql.exec<{ a: number }>("SELECT attempts AS a FROM outbox_retries").one().a;
      up = true;
      await rounds(2 * MAX_DELIVERY_ATTEMPTS)();
      const dead = sql.exec<{ id: string; attempts: number }>("SELECT id, attempts FROM dead_letters").toArray();
      return { during, dead, probes: sent.filter((n) => n === 0).length };
    });
    expect(out.during).toBe(0);
    expect(out.dead).toEqual([{ id: "outbox:1", attempts: MAX_DELIVERY_ATTEMPTS }]);
    expect(out.probes).toBeGreaterThan(0);
  });
});

describe("a poison webhook delivery of a quiet product", () => {
  it("is dead-lettered after its tries though the queue is sent nothing else: a probe shows it up", async () => {
    const product = "outbox-poison-hook-quiet";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      setMeta(sql, WEBHOOK_META_KEY, "{}");
      let clock = 1_000_000;
      let up = true;
      const probes: string[] = [];
      const queue = {
        send: (m: WebhookQueueMessage) => {
          if (m.kind === "webhook_probe") probes.push(m.productId);
          if (!up || m.kind === "webhook") return Promise.reject(new Error("queue refused the message"));
          return Promise.resolve();
        },
      };
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const host = deliveryHost(product, sql, {
        env: { ...env, WEBHOOK_QUEUE: queue } as unknown as Env,
        appendFeeds: (batches) => appendFeeds(env, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const next = () => sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox_retries").one().t;
      const rounds = async (n: number) => {
        for (let round = 1; round <= n; round++) {
          await deliverOutbox(host, 0);
          const t = next();
          if (t === null) return;
          clock = Math.max(clock + 1, t);
        }
      };
      // While the queue is down, the probe is refused too: the delivery waits, unblamed.
      state.storage.transactionSync(() => enqueueWebhook(tx(), "poison", {}));
      up = false;
      await rounds(2 * MAX_DELIVERY_ATTEMPTS);
      const during = sql.exec<{ a: number }>("SELECT attempts AS a FROM outbox_retries").one().a;
      up = true;
      await rounds(2 * MAX_DELIVERY_ATTEMPTS);
      const dead = sql
        .exec<{ source: string; attempts: number }>("SELECT source, attempts FROM dead_letters")
        .toArray();
      return { during, dead, probes: [...new Set(probes)] };
    });
    expect(out.during).toBe(0);
    expect(out.dead).toEqual([{ source: "outbox:webhook", attempts: MAX_DELIVERY_ATTEMPTS }]);
    expect(out.probes).toEqual(["outbox-poison-hook-quiet"]);
  });
});

describe("records waiting for a queue that is down", () => {
  it("are not read by a round until they are due: the due history reads as many rows behind 5,000 as behind 100", async () => {
    const read = async (product: string, waiting: number) =>
      runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
        const sql = state.storage.sql;
        const tx = (now: number): Tx => ({ sql, productId: product, now });
        // Records written while the history queue was down, each refused and waiting (unblamed) for it, up to 5 min.
        state.storage.transactionSync(() => {
          for (let i = 0; i < waiting; i++) enqueueAudit(tx(1_000), "op", `during-${i}`, "product");
        });
        const seqs = sql.exec<{ seq: number }>("SELECT seq FROM outbox").toArray();
        state.storage.transactionSync(() => {
          for (const { seq } of seqs)
            waitForQueue(
              tx(2_000),
              { seq, kind: "audit", body: {} as never, attempts: 0 },
              "queue unavailable",
              300_000,
            );
        });
        state.storage.transactionSync(() => enqueueAudit(tx(3_000), "op", "fresh", "product"));
        const { sql: counted, rowsRead } = countingSql(sql);
        const due = dueHistory(counted, 4_000, Number.MAX_SAFE_INTEGER, 200).map((r) => r.seq);
        return { due, rowsRead: rowsRead(), fresh: seqs.length + 1 };
      });
    const few = await read("outbox-waiting-100", 100);
    const many = await read("outbox-waiting-5000", 5_000);
    expect(few.due).toEqual([few.fresh]);
    expect(many.due).toEqual([many.fresh]);
    expect(many.rowsRead).toBe(few.rowsRead);
  });
});

describe("a coordinator whose outbox predates the retrying mark", () => {
  it("marks the records that already wait for a retry, and reads them only once due", async () => {
    const out = await runInDurableObject(env.COORDINATOR.getByName("outbox-retrying-upgrade"), (_i, state) => {
      const sql = state.storage.sql;
      // The schema as it was: no outbox.retrying, the history index over every history row.
      sql.exec(`DROP INDEX outbox_history_due; ALTER TABLE outbox DROP COLUMN retrying;
        CREATE INDEX outbox_history_due ON outbox(at, seq) WHERE kind <> 'event';
        INSERT INTO outbox(seq, kind, body, job_id, at) VALUES (1, 'audit', '{}', NULL, 10), (2, 'audit', '{}', NULL, 20);
        INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (1, 2, 5000, 'e', NULL, 30);`);
      applySchema(sql);
      applySchema(sql); // idempotent
      const index = sql
        .exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'outbox_history_due'")
        .one().sql;
      const seqs = (now: number) => dueHistory(sql, now, Number.MAX_SAFE_INTEGER, 200).map((r) => [r.seq, r.attempts]);
      return { index, before: seqs(4_999), after: seqs(5_000) };
    });
    expect(out.index).toContain("retrying IS NULL");
    expect(out.before).toEqual([[2, 0]]);
    expect(out.after).toEqual([
      [1, 2],
      [2, 0],
    ]);
  });
});
