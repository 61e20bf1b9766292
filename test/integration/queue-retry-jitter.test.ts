// Every queue consumer draws each failed message's retry delay afresh (worker/queues/retry, core/backoff: full
// jitter), so the messages of one batch that failed together — the coordinator down for dispatch, D1 down for
// history and dead letters, a receiver answering 503 for webhooks — come back spread over their backoff's range.
// Each consumer had given every message of the batch the same `2 ** attempts` seconds: after an outage the whole
// batch retried in the same second, a herd on the dependency that had just come back. `Math.random` is pinned to a
// ramp, so each message's delay is exact; without jitter every one was the ceiling. A queue with no consumer (bound
// before its consumer was deployed) backs off the same way: its batch had been `retryAll()`ed with no delay at all.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { handleQueue } from "../../src/worker/queues/consumers.ts";
import { batchOf } from "./queue-batch-fake.ts";

/** `Math.random` answering 0, 1/n, 2/n, … in turn (then again), so n messages draw across the whole range. */
function ramp(n: number) {
  let i = 0;
  return vi.spyOn(Math, "random").mockImplementation(() => (i++ % n) / n);
}

afterEach(() => vi.restoreAllMocks());

const down = () => Promise.reject(new Error("down for this test"));
/** D1 refusing every statement, and a coordinator whose every call fails: an outage of both. */
const outage = {
  ...env,
  DB: { prepare: () => ({ bind: () => ({}) }), batch: down, exec: down } as unknown as D1Database,
  COORDINATOR: { getByName: () => new Proxy({}, { get: () => down }) },
} as unknown as Env;

const manifest = (i: number) => ({ manifest: { title: `t${i}`, idempotencyKey: `k${i}` }, bodyMd: "" });

describe("queue consumers: each failed message draws its own delay", () => {
  it("dispatch, coordinator down: delays spread over 0 … 8 s on the third delivery", async () => {
    const { batch, retried } = batchOf("gigafactory-dispatch", 9, 3, (i) => ({
      kind: "submit",
      productId: "jitter-dispatch",
      actor: "admin",
      origin: "tracker:test",
      items: [manifest(i)],
    }));
    ramp(9);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await handleQueue(batch, outage);
    // ⌊(i/9) · 9⌋: every second of the range once.
    expect([...retried.values()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("history, D1 down: delays spread over 0 … 4 s on the second delivery", async () => {
    const { batch, retried } = batchOf("gigafactory-history", 5, 2, (i) => ({
      kind: "history",
      productId: `jitter-history-${i}`,
      records: [{ productId: `jitter-history-${i}`, seq: 1, kind: "audit", body: { at: 1 } }],
    }));
    ramp(5);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await handleQueue(batch, outage);
    expect([...retried.values()].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("dead-letter queue, D1 and coordinator down: delays spread over 0 … 2 s", async () => {
    const { batch, retried } = batchOf("gigafactory-dlq", 3, 1, () => ({ kind: "webhook", productId: "jitter-dlq" }));
    ramp(3);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await handleQueue(batch, outage);
    expect([...retried.values()]).toEqual([0, 1, 2]);
  });

  it("webhooks, receiver answering 503: delays spread over 0 … 4 s on the second delivery", async () => {
    const target = { url: "http://127.0.0.1:8787/jitter-hook", secret: "s3cret-of-sixteen-chars" };
    const hooked = {
      ...env,
      COORDINATOR: { getByName: () => ({ webhookTarget: async () => ({ ok: true, value: target }) }) },
    } as unknown as Env;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status: 503 }));
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // One product per message: each lane sends its message (a lane of one receiver is sent one at a time).
    const { batch, retried } = batchOf("gigafactory-webhooks", 5, 2, (i) => ({
      kind: "webhook",
      productId: `jitter-hook-${i}`,
      body: { deliveryId: `dlv_j${i}`, type: "job.stage", seq: 1 },
    }));
    ramp(5);
    await handleQueue(batch, hooked);
    expect([...retried.values()].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("a queue with no consumer: each message retried after its own delay, never at once", async () => {
    const { batch, retried } = batchOf("gigafactory-unknown", 5, 3, () => ({ kind: "unknown" }));
    ramp(5);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await handleQueue(batch, env);
    // ⌊(i/5) · 9⌋ over the third delivery's 0 … 8 s.
    expect([...retried.values()]).toEqual([0, 1, 3, 5, 7]);
  });
});
