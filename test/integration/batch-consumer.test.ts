// A bulk batch's record stays true however its items race through the dispatch queue's consumer. An item refused
// before the route finished recording the batch is still marked rejected (so the batch reaches `done`), and a
// refusal marks items of its own batch only, never another batch's under the same idempotency key.

import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { type BatchView, batchView, postBatch } from "./batch-client.ts";
import { ADMIN, api, createProduct, P, submit, until } from "./client.ts";

// A bulk batch's items can reach the queue consumer before the route has recorded the batch: the dispatch queue hands
// a full batch of messages (50) to its consumer at once, while the route is still sending the rest. An item the
// coordinator refused then (an unknown dep, a parent no longer waiting) had no row yet for the refusal to mark, and
// the route recorded it `queued` afterwards — for ever, since no job will ever hold its key — so `GET …/batches/{id}`
// never said `done`. The batch is now recorded before any item is queued. (Found by a concurrency reviewer.)

describe("a bulk batch consumed before the route recorded it", () => {
  it("reports an item the coordinator refused as rejected, and the batch done", async () => {
    const product = "bulk-consumer-first";
    await createProduct(product); // the raw worker.fetch below bypasses the client's create-on-404
    // A queue whose consumer runs each batch of messages as it is sent, before the route goes on.
    const eager = {
      ...env,
      DISPATCH_QUEUE: {
        sendBatch: async (sent: Iterable<MessageSendRequest<DispatchMessage>>) => {
          const messages = [...sent].map((m, i) => ({
            id: `eager-${i}`,
            timestamp: new Date(),
            body: m.body,
            attempts: 1,
            ack() {},
            retry() {},
          }));
          const delivered = { queue: "gigafactory-dispatch", messages, ackAll() {}, retryAll() {} };
          await worker.queue(delivered as unknown as MessageBatch, env, createExecutionContext());
        },
      },
    } as unknown as Env;
    const items = [{ manifest: { title: "fine" } }, { manifest: { title: "waits on nothing", deps: ["job_nope"] } }];
    const res = await worker.fetch(
      new Request(`http://gf.test${P(product)}/jobs:batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ items }),
      }),
      eager,
      createExecutionContext(),
    );
    expect(res.status).toBe(202);
    const { batchId } = (await res.json()) as { batchId: string };
    // The consumer ran inside the route's own send: every item's fate is decided by now.
    const view = await api<BatchView>("GET", `${P(product)}/batches/${batchId}`, { token: ADMIN });
    expect(view.body.done).toBe(true);
    expect(view.body.items.map((i) => [i.index, i.status])).toEqual([
      [0, "created"],
      [1, "rejected"],
    ]);
    expect(view.body.items[1]?.code).toBe("validation_failed");
  });

  it("an item the queue then refuses is recorded rejected (unavailable), the others left as the consumer made them", async () => {
    const product = "bulk-recorded-then-refused";
    await createProduct(product);
    let calls = 0;
    // Three items of ~90 KB: one message each, two to the first sendBatch (accepted), one to the second (refused).
    const flaky = {
      ...env,
      DISPATCH_QUEUE: {
        sendBatch: (sent: Iterable<MessageSendRequest<DispatchMessage>>) =>
          ++calls === 2 ? Promise.reject(new Error("queue unavailable")) : env.DISPATCH_QUEUE.sendBatch(sent),
      },
    } as unknown as Env;
    const items = ["p0", "p1", "p2"].map((t) => ({ markdown: `# ${t}\n${"漢".repeat(30_000)}` }));
    const res = await worker.fetch(
      new Request(`http://gf.test${P(product)}/jobs:batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ items }),
      }),
      flaky,
      createExecutionContext(),
    );
    const { batchId } = (await res.json()) as { batchId: string };
    const read = () => api<BatchView>("GET", `${P(product)}/batches/${batchId}`, { token: ADMIN });
    const view = await until(read, (r) => r.body.done);
    expect(view.body.items.map((i) => [i.index, i.status, i.code])).toEqual([
      [0, "created", undefined],
      [1, "created", undefined],
      [2, "rejected", "unavailable"],
    ]);
  });
});

// The queue consumer rejects, in a bulk batch's record, an item the coordinator refused (jobs/batches
// `rejectQueuedItems`). It rejected the queued items under that idempotency key in EVERY batch: a second batch that
// queued the same key for another request — one its own message then creates — read `rejected` with the first
// batch's code, for good, though its job existed. (Found by a concurrency reviewer.) Now only the refused message's
// own batch is touched.

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

describe("an item the consumer refuses", () => {
  it("is rejected in its own batch only: another batch's item under the same key is created by its own message", async () => {
    const product = "batch-refusal-scope";
    await createProduct(product);
    const q = heldQueue();
    // A dep sound when the batch is posted (the route refuses an unknown one up front), cancelled before delivery.
    const dep = await submit(product, { title: "dep" });
    // Both queued: when each batch was posted, no job held the key yet.
    const refusedBatch = await postBatch(product, q.env, [
      { manifest: { title: "waits on a dep", idempotencyKey: "shared", deps: [dep.id] } },
    ]);
    const createdBatch = await postBatch(product, q.env, [{ manifest: { title: "fine", idempotencyKey: "shared" } }]);
    expect(q.held).toHaveLength(2);
    expect((await api("POST", `${P(product)}/jobs/${dep.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );

    await deliver(q.held[0]!); // refused by the coordinator: its dep was cancelled, it can never ship
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
