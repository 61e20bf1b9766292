// A message's dead letters that D1 refuses are kept in their product's coordinator all or none (one call, one unit per
// product). Kept one call each, some of a message's could be kept and the rest not: the message was then delivered
// again, D1 wrote them all under a later `at`, and `GET …/dead-letters` — one entry per (at, id) — listed the ones
// kept both times twice. A real D1 failure (the table renamed away), and a coordinator that refuses the second one.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, createProduct, P } from "./client";

const product = "dead-letter-keep";
const bogus = (seq: number) => ({ productId: product, seq, kind: "bogus", body: {} });
const message = { kind: "history", productId: product, records: [bogus(1), bogus(2)] };

async function deliver(e: Env, attempts: number) {
  const batch = createMessageBatch("gigafactory-history", [
    { id: "m-two", timestamp: new Date(), attempts, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, e, ctx);
  return getQueueResult(batch, ctx);
}

const listed = async () =>
  (await api<{ items: Array<{ id: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN })).body.items
    .map((d) => d.id)
    .sort();

describe("dead letters D1 refuses", () => {
  it("are kept in their coordinator all or none, so a redelivered message's are listed once each", async () => {
    await createProduct(product);
    // The coordinator refuses any call that would keep the message's second dead letter.
    const refusing = {
      ...env,
      COORDINATOR: {
        getByName: (name: string) => {
          const real = env.COORDINATOR.getByName(name);
          return {
            keepDeadLetters: (p: string, items: Array<{ id: string }>) =>
              items.some((d) => d.id === "m-two:1")
                ? Promise.reject(new Error("coordinator overloaded"))
                : real.keepDeadLetters(p, items as never),
          };
        },
      },
    } as unknown as Env;
    await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
    let first: Awaited<ReturnType<typeof deliver>>;
    let during: string[];
    try {
      first = await deliver(refusing, 1);
      during = await listed(); // the coordinator's alone while D1 is away
    } finally {
      await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
    }
    expect(first.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m-two"]);
    expect(during).toEqual([]);
    const second = await deliver(env, 2);
    expect(second.explicitAcks).toEqual(["m-two"]);
    expect(await listed()).toEqual(["m-two:0", "m-two:1"]);
  });
});
