// Webhook signing (core/webhook-signature): the signature is HMAC-SHA256 over `${timestamp}.${rawBody}` (a known
// vector from Node's crypto), so changing the timestamp, the body or the secret changes it; the headers carry
// signature, timestamp and delivery id; the retry backoff doubles from 2 s and is capped at 5 min (property).
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signWebhook, webhookHeaders, webhookRetryDelaySeconds } from "../../src/core/webhook-signature.ts";

describe("signWebhook", () => {
  it("is HMAC-SHA256 over timestamp.body, hex, prefixed sha256=", async () => {
    const body = '{"deliveryId":"dlv_1","type":"job.stage"}';
    const expected = createHmac("sha256", "k".repeat(16)).update(`1700000000.${body}`).digest("hex");
    expect(await signWebhook("k".repeat(16), 1_700_000_000, body)).toBe(`sha256=${expected}`);
    expect(await signWebhook("k".repeat(16), 1_700_000_001, body)).not.toBe(`sha256=${expected}`);
    expect(await signWebhook("j".repeat(16), 1_700_000_000, body)).not.toBe(`sha256=${expected}`);
  });

  it("names the delivery, the timestamp and the signature in the headers", async () => {
    const h = await webhookHeaders("k".repeat(16), "dlv_9", 42, "{}");
    expect(h).toMatchObject({
      "content-type": "application/json",
      "X-Gigafactory-Delivery": "dlv_9",
      "X-Gigafactory-Timestamp": "42",
      "X-Gigafactory-Signature": await signWebhook("k".repeat(16), 42, "{}"),
    });
  });
});

describe("webhookRetryDelaySeconds", () => {
  it("doubles from 2 s", () => {
    expect([1, 2, 3, 4].map(webhookRetryDelaySeconds)).toEqual([2, 4, 8, 16]);
  });

  it("never shrinks as attempts grow and stays within 2 s … 300 s (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1_000 }), (n) => {
        const d = webhookRetryDelaySeconds(n);
        expect(d).toBeGreaterThanOrEqual(2);
        expect(d).toBeLessThanOrEqual(300);
        expect(webhookRetryDelaySeconds(n + 1)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
