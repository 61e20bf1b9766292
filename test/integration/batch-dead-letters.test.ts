// A bulk batch reaches `done` even when its message never reaches the coordinator: a dispatch message that ends in
// the dead-letter queue (its retries spent: the coordinator unreachable, a unit that kept failing) or that the
// dispatch consumer dead-letters at once (malformed, its reason naming the field) rejects its batch's still-queued
// items (`unavailable`: resend them), except an item whose job exists through another request (created). Until that
// is recorded the dead letter is not acked (the queue delivers it again), while one whose coordinator refuses
// outright is acked. A message whose coordinator still fails on its last delivery is kept by the dispatch consumer,
// with that failure as its reason.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { batchView, deliver, heldQueue, postBatch } from "./batch-client.ts";
import { ADMIN, api, createProduct, P, until } from "./client.ts";

// Before: the dead-letter consumer only recorded the message, so the batch's items stayed `queued` for ever (no job
// would ever hold their keys) and a client waiting for `done` waited until the batch was pruned, 7 days on.

describe("a bulk batch whose message is dead-lettered", () => {
  it("is done: its items rejected (unavailable), one whose job exists through another batch created", async () => {
    const product = "batch-dlq-done";
    await createProduct(product);
    const shared = { manifest: { title: "shared", idempotencyKey: "bdl-shared" } };
    const lost = heldQueue();
    const lostId = await postBatch(product, lost.env, [{ manifest: { title: "lost" } }, shared]);
    // Another batch queues the same request under the same key, and its message is delivered.
    const other = heldQueue();
    const otherId = await postBatch(product, other.env, [shared]);
    await deliver("gigafactory-dispatch", other.held);
    const created = await until(
      () => batchView(product, otherId),
      (b) => b.done,
    );

    expect(lost.held).toHaveLength(1);
    expect(await deliver("gigafactory-dlq", lost.held)).toEqual({ acked: 1, retried: 0 });
    const view = await batchView(product, lostId);
    expect(view.done).toBe(true);
    expect(view.items.map((i) => [i.index, i.status, i.code, i.jobId])).toEqual([
      [0, "rejected", "unavailable", undefined],
      [1, "created", undefined, created.items[0]?.jobId],
    ]);
    const dl = await api<{ items: Array<{ id: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
    expect(dl.body.items).toHaveLength(1);
  });

  it("is not acked while its coordinator cannot be told, and is once it can", async () => {
    const product = "batch-dlq-retry";
    await createProduct(product);
    const lost = heldQueue();
    const batchId = await postBatch(product, lost.env, [{ manifest: { title: "lost" } }]);
    const down = {
      ...env,
      COORDINATOR: { getByName: () => ({ rejectUndeliveredMany: () => Promise.reject(new Error("unreachable")) }) },
    } as unknown as Env;
    expect(await deliver("gigafactory-dlq", lost.held, down)).toEqual({ acked: 0, retried: 1 });
    expect((await batchView(product, batchId)).queued).toBe(1);
    expect(await deliver("gigafactory-dlq", lost.held)).toEqual({ acked: 1, retried: 0 });
    expect((await batchView(product, batchId)).done).toBe(true);
  });

  // Before: the consumer retried it, and the dead-letter queue kept it as "delivery failed after all retries".
  it("is kept by the dispatch consumer on its last delivery with the coordinator's failure as its reason", async () => {
    const product = "batch-dlq-last-try";
    await createProduct(product);
    const lost = heldQueue();
    const batchId = await postBatch(product, lost.env, [{ manifest: { title: "a" } }]);
    // Every submission of this product throws in its coordinator (a unit that keeps failing); the rest works.
    const failing = {
      ...env,
      COORDINATOR: {
        getByName: (name: string) => {
          const real = env.COORDINATOR.getByName(name);
          return {
            submitMany: () => Promise.reject(new Error("unit threw: disk I/O error")),
            rejectUndeliveredMany: (...a: Parameters<typeof real.rejectUndeliveredMany>) =>
              real.rejectUndeliveredMany(...a),
            keepDeadLetters: (...a: Parameters<typeof real.keepDeadLetters>) => real.keepDeadLetters(...a),
          };
        },
      },
    } as unknown as Env;
    expect(await deliver("gigafactory-dispatch", lost.held, failing)).toEqual({ acked: 1, retried: 0 });
    const dl = await api<{ items: Array<{ source: string; reason: string; attempts: number }> }>(
      "GET",
      `${P(product)}/dead-letters`,
      { token: ADMIN },
    );
    expect(dl.body.items).toEqual([
      expect.objectContaining({
        source: "queue:submit",
        attempts: 5,
        reason: "the coordinator failed this message on all 5 deliveries; the last: Error: unit threw: disk I/O error",
      }),
    ]);
    const view = await batchView(product, batchId);
    expect(view.done).toBe(true);
    expect(view.items.map((i) => i.code)).toEqual(["unavailable"]);
  });

  it("is done when the dispatch consumer dead-letters it at once as malformed", async () => {
    const product = "batch-dlq-malformed";
    await createProduct(product);
    const lost = heldQueue();
    const batchId = await postBatch(product, lost.env, [{ manifest: { title: "a" } }, { manifest: { title: "b" } }]);
    // A message the consumer cannot read (here, an item a newer producer shaped otherwise), its keys still legible.
    const [message] = lost.held;
    const broken = { ...message, items: message!.items.map((i) => ({ ...i, bodyMd: 7 })) };
    expect(await deliver("gigafactory-dispatch", [broken])).toEqual({ acked: 1, retried: 0 });
    const view = await batchView(product, batchId);
    expect(view.done).toBe(true);
    expect(view.items.map((i) => i.code)).toEqual(["unavailable", "unavailable"]);
    // Its reason names where the message is wrong, not only what is wrong.
    const dl = await api<{ items: Array<{ reason: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
    expect(dl.body.items[0]?.reason).toMatch(/^malformed message: items\.0\.bodyMd: .*number.* \(and 1 more\)$/);
  });
});
