// A dead-letter batch of bulk messages tells their bulk batches their items will not come in one coordinator call per
// product (rejectUndeliveredMany), not one per message: five dead-lettered messages of five bulk batches in two
// products cost two calls, and every batch is `done`. A product whose call fails has its messages retried (its
// batches still queued); the other product's are acked.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { batchView, deliver, heldQueue, postBatch } from "./batch-client.ts";
import { createProduct } from "./client.ts";

/** `count` bulk batches of one item each in `product`, their dispatch messages held: [batch ids, messages]. */
async function lostBatches(product: string, count: number): Promise<[string[], DispatchMessage[]]> {
  await createProduct(product);
  const lost = heldQueue();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await postBatch(product, lost.env, [{ manifest: { title: `lost ${i}` } }]));
  expect(lost.held).toHaveLength(count);
  return [ids, lost.held];
}

/** `env` whose coordinators count `rejectUndelivered*` calls per product; `down` products' calls fail. */
function countingEnv(calls: string[], down: ReadonlySet<string> = new Set()) {
  return {
    ...env,
    COORDINATOR: {
      getByName(name: string) {
        const real = env.COORDINATOR.getByName(name);
        return new Proxy(real, {
          get(target, prop) {
            const value = Reflect.get(target, prop);
            if (typeof prop !== "string" || !prop.startsWith("rejectUndelivered")) return value;
            return (...args: unknown[]) => {
              calls.push(`${prop} ${name}`);
              if (down.has(name)) return Promise.reject(new Error("unreachable"));
              return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
            };
          },
        });
      },
    },
  } as unknown as Env;
}

describe("a dead-letter batch of bulk messages", () => {
  it("tells their bulk batches in one call per product, and every batch is done", async () => {
    const [aIds, aHeld] = await lostBatches("brc-a", 3);
    const [bIds, bHeld] = await lostBatches("brc-b", 2);
    const calls: string[] = [];
    const mixed = [aHeld[0], bHeld[0], aHeld[1], bHeld[1], aHeld[2]];
    expect(await deliver("gigafactory-dlq", mixed, countingEnv(calls))).toEqual({ acked: 5, retried: 0 });
    expect(calls.sort()).toEqual(["rejectUndeliveredMany brc-a", "rejectUndeliveredMany brc-b"]);
    for (const id of aIds) expect((await batchView("brc-a", id)).done).toBe(true);
    for (const id of bIds) expect((await batchView("brc-b", id)).done).toBe(true);
  });

  it("retries the messages of a product whose call failed, and acks the others", async () => {
    const [aIds, aHeld] = await lostBatches("brc-up", 2);
    const [bIds, bHeld] = await lostBatches("brc-down", 2);
    const calls: string[] = [];
    const down = countingEnv(calls, new Set(["brc-down"]));
    expect(await deliver("gigafactory-dlq", [...aHeld, ...bHeld], down)).toEqual({ acked: 2, retried: 2 });
    expect(calls.sort()).toEqual(["rejectUndeliveredMany brc-down", "rejectUndeliveredMany brc-up"]);
    for (const id of aIds) expect((await batchView("brc-up", id)).done).toBe(true);
    for (const id of bIds) expect((await batchView("brc-down", id)).queued).toBe(1);
    // Redelivered with the coordinator back, they are acked and their batches done.
    expect(await deliver("gigafactory-dlq", bHeld)).toEqual({ acked: 2, retried: 0 });
    for (const id of bIds) expect((await batchView("brc-down", id)).done).toBe(true);
  });
});
