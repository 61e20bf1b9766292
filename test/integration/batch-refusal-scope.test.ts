// The queue consumer rejects, in a bulk batch's record, an item the coordinator refused (jobs/batches
// `rejectQueuedItems`). It rejected the queued items under that idempotency key in EVERY batch: a second batch that
// queued the same key for another request — one its own message then creates — read `rejected` with the first
// batch's code, for good, though its job existed. (Found by a concurrency reviewer.) Now only the refused message's
// own batch is touched.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, createProduct, P } from "./client.ts";

interface BatchView {
  done: boolean;
  items: Array<{ index: number; status: string; code?: string; jobId?: string }>;
}

/** A dispatch queue that keeps what is sent, for the test to deliver when it chooses. */
function heldQueue() {
  const held: DispatchMessage[][] = [];
  const queue = {
    sendBatch: async (sent: Iterable<MessageSendRequest<DispatchMessage>>) => {
      held.push([...sent].map((m) => m.body));
    },
  };
  return { held, env: { ...env, DISPATCH_QUEUE: queue } as unknown as Env };
}

/** Hands `bodies` to the Worker's queue consumer as one delivered batch. */
async function deliver(bodies: DispatchMessage[]): Promise<void> {
  const messages = bodies.map((body, i) => ({
    id: `held-${i}-${crypto.randomUUID()}`,
    timestamp: new Date(),
    body,
    attempts: 1,
    ack() {},
    retry() {},
  }));
  const batch = { queue: "gigafactory-dispatch", messages, ackAll() {}, retryAll() {} };
  await worker.queue(batch as unknown as MessageBatch, env, createExecutionContext());
}

async function postBatch(product: string, queueEnv: Env, items: unknown[]): Promise<string> {
  const res = await worker.fetch(
    new Request(`http://gf.test${P(product)}/jobs:batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ items }),
    }),
    queueEnv,
    createExecutionContext(),
  );
  expect(res.status).toBe(202);
  return ((await res.json()) as { batchId: string }).batchId;
}

const batchView = async (product: string, id: string) =>
  (await api<BatchView>("GET", `${P(product)}/batches/${id}`, { token: ADMIN })).body;

describe("an item the consumer refuses", () => {
  it("is rejected in its own batch only: another batch's item under the same key is created by its own message", async () => {
    const product = "batch-refusal-scope";
    await createProduct(product);
    const q = heldQueue();
    // Both queued: when each batch was posted, no job held the key yet.
    const refusedBatch = await postBatch(product, q.env, [
      { manifest: { title: "waits on nothing", idempotencyKey: "shared", deps: ["job_nope"] } },
    ]);
    const createdBatch = await postBatch(product, q.env, [{ manifest: { title: "fine", idempotencyKey: "shared" } }]);
    expect(q.held).toHaveLength(2);

    await deliver(q.held[0]!); // refused by the coordinator: an unknown dep
    const refused = await batchView(product, refusedBatch);
    expect(refused).toMatchObject({ done: true, items: [{ index: 0, status: "rejected", code: "validation_failed" }] });
    expect(await batchView(product, createdBatch)).toMatchObject({ done: false, items: [{ status: "queued" }] });

    await deliver(q.held[1]!);
    const created = await batchView(product, createdBatch);
    expect(created).toMatchObject({ done: true, items: [{ index: 0, status: "created" }] });
    expect(created.items[0]?.jobId).toMatch(/^job_/);
    expect(await batchView(product, refusedBatch)).toEqual(refused); // a job under its key changes nothing there
  });
});
