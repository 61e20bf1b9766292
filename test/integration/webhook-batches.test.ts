// A round's webhook deliveries go to the webhook queue in `sendBatch` calls within its limits (100 messages, 200 KiB of JSON), one message per delivery as before; a batch the queue refuses leaves each delivery to be retried alone, so one poison delivery is dead-lettered alone and the rest arrive.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SEND_BATCH_LIMITS } from "../../src/core/chunks.ts";
import { MAX_DELIVERY_ATTEMPTS } from "../../src/core/delivery-retry.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { enqueueWebhook, WEBHOOK_META_KEY } from "../../src/durable-objects/coordinator/outbox/webhook-records.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { WebhookMessage } from "../../src/worker/queues/webhooks.ts";
import { deliveryHost } from "./state";

/** A webhook queue that records each call: `send` one message, `sendBatch` several; `refuse` decides per call. */
function recordingQueue(refuse: (bodies: WebhookMessage[]) => boolean) {
  const calls: Array<{ kind: "send" | "sendBatch"; types: string[]; bytes: number }> = [];
  const take = (kind: "send" | "sendBatch", bodies: WebhookMessage[]) => {
    const bytes = bodies.reduce((n, b) => n + new TextEncoder().encode(JSON.stringify(b)).byteLength, 0);
    calls.push({ kind, types: bodies.map((b) => b.body.type), bytes });
    return refuse(bodies) ? Promise.reject(new Error("queue refused the batch")) : Promise.resolve();
  };
  const queue = {
    send: (body: WebhookMessage) => take("send", [body]),
    sendBatch: (messages: Array<{ body: WebhookMessage }>) =>
      take(
        "sendBatch",
        messages.map((m) => m.body),
      ),
  };
  return { calls, queue };
}

async function withOutbox<T>(product: string, queue: unknown, fn: (h: Harness) => Promise<T>): Promise<T> {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    setMeta(sql, WEBHOOK_META_KEY, "{}");
    const h: Harness = { sql, clock: 1_000_000, write: () => {}, deliver: async () => {} };
    const tx = (): Tx => ({ sql, productId: product, now: h.clock });
    h.write = (f) => state.storage.transactionSync(() => f(tx()));
    h.deliver = async () => {
      await deliverOutbox(
        deliveryHost(product, sql, {
          env: { ...env, WEBHOOK_QUEUE: queue } as unknown as Env,
          appendFeeds: (batches) => appendFeeds(env, product, batches),
          now: () => h.clock,
          transact: (f) => state.storage.transactionSync(() => f(tx())),
        }),
        0,
      );
    };
    return fn(h);
  });
}

interface Harness {
  sql: SqlStorage;
  clock: number;
  write(f: (t: Tx) => void): void;
  deliver(): Promise<void>;
}

describe("webhook deliveries in sendBatch calls", () => {
  it("sends a round's 250 deliveries in calls of at most 100 messages and 200 KiB, each delivery once", async () => {
    const { calls, queue } = recordingQueue(() => false);
    const left = await withOutbox("hook-batches", queue, async (h) => {
      h.write((t) => {
        for (let i = 0; i < 250; i++)
          enqueueWebhook(t, `job.t${i}`, { job: { id: `job_${i}`, note: "x".repeat(1500) } });
      });
      await h.deliver();
      return h.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
    });
    expect(left).toBe(0);
    expect(calls.every((c) => c.kind === "sendBatch")).toBe(true);
    expect(calls.length).toBeLessThan(10); // 250 deliveries of ~1.7 KB: a few calls, not 250
    for (const c of calls) {
      expect(c.types.length).toBeLessThanOrEqual(SEND_BATCH_LIMITS.maxItems);
      expect(c.bytes).toBeLessThanOrEqual(SEND_BATCH_LIMITS.maxBytes);
    }
    const sent = calls.flatMap((c) => c.types);
    expect(sent.sort()).toEqual(Array.from({ length: 250 }, (_, i) => `job.t${i}`).sort());
  });

  it("retries each delivery of a refused batch alone: the poison one is dead-lettered, the others arrive", async () => {
    // The queue refuses any call holding the poison delivery: the first batch fails whole.
    const { calls, queue } = recordingQueue((bodies) => bodies.some((b) => b.body.type === "poison"));
    const out = await withOutbox("hook-batch-poison", queue, async (h) => {
      h.write((t) => {
        enqueueWebhook(t, "job.a", {});
        enqueueWebhook(t, "poison", {});
        enqueueWebhook(t, "job.b", {});
      });
      const due = () => h.sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox_retries").one().t;
      await h.deliver();
      for (let round = 0; round < 3 * MAX_DELIVERY_ATTEMPTS && due() !== null; round++) {
        h.clock += 1;
        h.write((t) => enqueueWebhook(t, "job.other", {})); // the queue takes the product's other deliveries
        await h.deliver();
        h.clock = Math.max(h.clock + 1, due() ?? h.clock);
        await h.deliver();
      }
      return {
        dead: h.sql.exec<{ source: string }>("SELECT source FROM dead_letters").toArray(),
        left: h.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
      };
    });
    expect(calls[0]).toMatchObject({ kind: "sendBatch", types: ["job.a", "poison", "job.b"] });
    const alone = calls.slice(1).filter((c) => c.kind === "send");
    expect(alone.filter((c) => c.types[0] === "job.a")).toHaveLength(1);
    expect(alone.filter((c) => c.types[0] === "job.b")).toHaveLength(1);
    expect(alone.filter((c) => c.types[0] === "poison").length).toBeGreaterThan(1);
    expect(out).toEqual({ dead: [{ source: "outbox:webhook" }], left: 0 });
  });
});
