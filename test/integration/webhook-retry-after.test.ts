// A webhook receiver's `Retry-After` on a 429 or 503 is honoured (worker/queues/webhook-deliver): the delivery is
// retried after the wait it named — delay-seconds or an HTTP-date — bounded by WEBHOOK_RETRY_AFTER_MAX_SECONDS,
// and the rest of its product's lane in that batch is held back unsent (each after that wait plus its own jittered
// backoff), as after a timeout. It had been ignored: a rate-limited or restarting receiver got its next try on our
// own schedule (0 … 4 s on the second delivery), and the rest of the batch at once. Any other status's Retry-After
// is not read; the tries still count, so a delivery refused so on its last try is a dead letter as before.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WEBHOOK_LAST_TRY, WEBHOOK_RETRY_AFTER_MAX_SECONDS } from "../../src/core/webhook-signature.ts";
import { handleQueue } from "../../src/worker/queues/consumers.ts";
import { batchOf } from "./queue-batch-fake.ts";

afterEach(() => vi.restoreAllMocks());

const target = { url: "http://127.0.0.1:8787/retry-after-hook", secret: "s3cret-of-sixteen-chars" };
/** A coordinator that names the webhook (and nothing else is asked of it here); D1 as it is. */
const hooked = {
  ...env,
  COORDINATOR: { getByName: () => ({ webhookTarget: async () => ({ ok: true, value: target }) }) },
} as unknown as Env;

/** The receiver answers every POST `status` with these headers; returns how many it was sent. */
function receiverAnswering(status: number, headers: Record<string, string>) {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  return vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(null, { status, headers }));
}

/** `n` deliveries of one product (one lane), on delivery `attempts`. */
const deliveries = (product: string, n: number, attempts: number) =>
  batchOf("gigafactory-webhooks", n, attempts, (i) => ({
    kind: "webhook",
    productId: product,
    body: { deliveryId: `dlv_${product}_${i}`, type: "job.stage", seq: i + 1 },
  }));

describe("webhook queue: a receiver's Retry-After", () => {
  it("503 with delay-seconds: the delivery is retried after the wait it named", async () => {
    receiverAnswering(503, { "retry-after": "120" });
    const { batch, retried } = deliveries("ra-seconds", 1, 2);
    await handleQueue(batch, hooked);
    expect([...retried.values()]).toEqual([120]);
  });

  it("429 with an HTTP-date: retried when the date comes", async () => {
    receiverAnswering(429, { "retry-after": new Date(Date.now() + 90_000).toUTCString() });
    const { batch, retried } = deliveries("ra-date", 1, 2);
    await handleQueue(batch, hooked);
    const [wait] = [...retried.values()];
    expect(wait).toBeGreaterThanOrEqual(89);
    expect(wait).toBeLessThanOrEqual(90);
  });

  it("a wait past the bound is cut to WEBHOOK_RETRY_AFTER_MAX_SECONDS", async () => {
    receiverAnswering(429, { "retry-after": "31536000" });
    const { batch, retried } = deliveries("ra-bound", 1, 2);
    await handleQueue(batch, hooked);
    expect([...retried.values()]).toEqual([WEBHOOK_RETRY_AFTER_MAX_SECONDS]);
  });

  it("holds the rest of the lane back unsent, each after the wait plus its own backoff", async () => {
    const fetch = receiverAnswering(429, { "retry-after": "60" });
    const { batch, retried, acked } = deliveries("ra-lane", 4, 2);
    await handleQueue(batch, hooked);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(acked).toEqual([]);
    const waits = [...retried.values()];
    expect(waits[0]).toBe(60);
    for (const w of waits.slice(1)) {
      expect(w).toBeGreaterThanOrEqual(60);
      expect(w).toBeLessThanOrEqual(64); // 60 + the backoff's 0 … 4 s on the second delivery
    }
  });

  it("is not read on any other status: a 500's Retry-After leaves our own schedule", async () => {
    receiverAnswering(500, { "retry-after": "120" });
    const { batch, retried } = deliveries("ra-500", 1, 2);
    await handleQueue(batch, hooked);
    expect([...retried.values()][0]).toBeLessThanOrEqual(4);
  });

  it("still counts the tries: refused so on its last try, the delivery is a dead letter", async () => {
    receiverAnswering(503, { "retry-after": "120" });
    const { batch, retried, acked } = deliveries("ra-last", 1, WEBHOOK_LAST_TRY);
    await handleQueue(batch, hooked);
    expect(retried.size).toBe(0);
    expect(acked).toEqual(["gigafactory-webhooks-0"]);
    const row = await env.DB.prepare("SELECT reason FROM dead_letters WHERE id = ?")
      .bind("gigafactory-webhooks-0")
      .first<{ reason: string }>();
    expect(row?.reason).toContain("answered 503");
  });
});
