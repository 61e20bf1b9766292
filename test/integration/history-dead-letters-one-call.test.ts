// The history consumer keeps a batch's dead letters in one call (worker/queues/dead-letter-calls `keepForMessages`):
// its malformed messages and every message's poison records together, each message then acked once its own are kept.
// A call each had been one D1 call per message and — with D1's dead letters refused — one coordinator call, one
// `outbox.dead_letter` audit record and one ALERT line per message: a batch of one product's malformed messages made
// as many of each as it had messages. A real D1 failure: the dead-letter table renamed away (history tables stay).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, createProduct, P } from "./client";

afterEach(() => vi.restoreAllMocks());

const product = "hist-dl-one-call";
const audit = (seq: number) => ({
  productId: product,
  seq,
  kind: "audit",
  body: { at: seq, actor: "op", action: "test.action", target: "t", detail: {} },
});
const bogus = (seq: number) => ({ productId: product, seq, kind: "bogus", body: {} });

describe("history consumer: a batch's dead letters", () => {
  it("are kept in one call: one ALERT line for the batch, every message acked, every dead letter listed", async () => {
    await createProduct(product);
    const messages = [
      ...[0, 1, 2].map((i) => ({ id: `hm-bad-${i}`, body: { kind: "history", productId: product, records: "x" } })),
      ...[0, 1, 2].map((i) => ({
        id: `hm-mixed-${i}`,
        body: { kind: "history", productId: product, records: [audit(100 + i), bogus(200 + i)] },
      })),
    ];
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await env.DB.exec("ALTER TABLE dead_letters RENAME TO dead_letters_away");
    let result: Awaited<ReturnType<typeof getQueueResult>>;
    try {
      const batch = createMessageBatch(
        "gigafactory-history",
        messages.map((m) => ({ ...m, timestamp: new Date(), attempts: 1 })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch, env, ctx);
      result = await getQueueResult(batch, ctx);
    } finally {
      await env.DB.exec("ALTER TABLE dead_letters_away RENAME TO dead_letters");
    }
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    const alerts = errors.mock.calls.map((a) => a.map(String).join(" ")).filter((l) => l.startsWith("ALERT"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain("count=6");
    const listed = await api<{ items: Array<{ id: string }> }>("GET", `${P(product)}/dead-letters`, { token: ADMIN });
    expect(listed.body.items.map((d) => d.id).sort()).toEqual(
      ["hm-bad-0", "hm-bad-1", "hm-bad-2", "hm-mixed-0:1", "hm-mixed-1:1", "hm-mixed-2:1"].sort(),
    );
  });
});
