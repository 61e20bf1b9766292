// A dead letter delivered twice (queues deliver at least once) is listed once by `GET …/dead-letters`, even when its two
// deliveries kept it in different stores: the first in its product's coordinator (D1 refusing dead letters), the
// second in D1 (back by then) under a later `at` — its ack was lost, or its coordinator kept it but the answer never
// came back, so the consumer rightly retried it. Both copies had been listed, one per (at, id). A coordinator that
// kept a batch's letters but whose answer was lost: the messages are retried, never acked on a guess, and the
// redelivery adds no second copy, audit or ALERT line there. Workerd, real D1 (its dead-letter table renamed away
// for the outage, so this file is isolated) and coordinators.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, createProduct, P } from "./client";

afterEach(() => vi.restoreAllMocks());

/** One batch of malformed dispatch messages of `product` (dead-lettered at once) on delivery `attempts`. */
async function deliver(e: Env, product: string, ids: string[], attempts: number) {
  const batch = createMessageBatch(
    "gigafactory-dispatch",
    ids.map((id) => ({
      id,
      timestamp: new Date(),
      attempts,
      body: { kind: "submit", productId: product, items: "x" },
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, e, ctx);
  return getQueueResult(batch, ctx);
}

async function withoutD1<T>(fn: () => Promise<T>): Promise<T> {
  await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
  try {
    return await fn();
  } finally {
    await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
  }
}

const listed = async (product: string) =>
  (await api<{ items: Array<{ id: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN })).body.items
    .map((d) => d.id)
    .sort();

/** Every page of one row, following nextCursor: each id as often as a reader paging on meets it. */
async function paged(product: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 20; n++) {
    const q = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
    const r = await api<{ items: Array<{ id: string }>; nextCursor?: string }>(
      "GET",
      `${P(product)}/dead-letters${q}`,
      { token: ADMIN },
    );
    ids.push(...r.body.items.map((d) => d.id));
    cursor = r.body.nextCursor;
    if (!cursor) return ids.sort();
  }
  throw new Error("nextCursor never ran out");
}

const alertLines = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map((a) => a.map(String).join(" ")).filter((l) => l.startsWith("ALERT"));

describe("a dead letter delivered twice", () => {
  it("kept in its coordinator while D1 was down, then in D1, is listed once — on one page and paging", async () => {
    const product = "dl-twice-stores";
    await createProduct(product);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const ids = ["twice-0", "twice-1"];
    const first = await withoutD1(() => deliver(env, product, ids, 1));
    expect(first.explicitAcks.sort()).toEqual(ids);
    // Its ack lost: the queue delivers it again, D1 back by then; D1 keeps it under this later delivery's `at`.
    const second = await deliver(env, product, ids, 2);
    expect(second.explicitAcks.sort()).toEqual(ids);
    const inD1 = await env.DB.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE product_id = ?")
      .bind(product)
      .first<{ n: number }>();
    expect(inD1?.n).toBe(2); // both stores hold them: the listing is what must not show them twice
    expect(await listed(product)).toEqual(ids);
    expect(await paged(product)).toEqual(ids);
  });

  it("kept by a coordinator whose answer was lost is retried, and its redelivery keeps nothing twice", async () => {
    const product = "dl-twice-lost-answer";
    await createProduct(product);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // The coordinator commits the unit, then its answer is lost on the way back.
    const lostAnswer = {
      ...env,
      COORDINATOR: {
        getByName: (name: string) => {
          const real = env.COORDINATOR.getByName(name);
          return {
            keepDeadLetters: async (...a: Parameters<typeof real.keepDeadLetters>) => {
              await real.keepDeadLetters(...a);
              throw new Error("connection reset after the call");
            },
          };
        },
      },
    } as unknown as Env;
    const ids = ["lost-0", "lost-1"];
    const first = await withoutD1(() => deliver(lostAnswer, product, ids, 1));
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual(ids);
    // The coordinator's own ALERT line for what it kept, and the Worker's for what it believes unkept.
    expect(alertLines(errors)).toHaveLength(2);
    errors.mockClear();
    const again = await withoutD1(() => deliver(env, product, ids, 2));
    expect(again.explicitAcks.sort()).toEqual(ids);
    expect(alertLines(errors)).toEqual([]); // nothing new kept there: no second audit, no second alert
    expect(await listed(product)).toEqual(ids);
    const third = await deliver(env, product, ids, 3); // and once more, D1 back
    expect(third.explicitAcks.sort()).toEqual(ids);
    expect(await listed(product)).toEqual(ids);
    expect(await paged(product)).toEqual(ids);
  });
});
