// Webhook signing (core/webhook-signature): the signature is HMAC-SHA256 over `${timestamp}.${rawBody}` (a known
// vector from Node's crypto), so changing the timestamp, the body or the secret changes it; the headers carry
// signature, timestamp and delivery id; the retry backoff's ceiling doubles from 2 s and is capped at 5 min (property); and the
// API's description of `PUT …/webhook` states the delivery rules the consumer applies — what counts as delivered (a
// 2xx in time; a redirect is never followed), how many tries over how long before a dead letter, and the body's cap —
// which it had left out: a receiver's author could not learn that a 3xx or a slow answer is a failed try; and that
// a receiver dedupes on the body's deliveryId, which is signed — the X-Gigafactory-Delivery header is not, so a
// capture replayed within the timestamp window under a new header passed a receiver that deduped on the header.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { backoffCeilingSeconds } from "../../src/core/backoff.ts";
import { RECORD_MAX_BYTES } from "../../src/core/record-bounds.ts";
import {
  KEYS_KEPT,
  signWebhook,
  WEBHOOK_BACKOFF,
  WEBHOOK_LAST_TRY,
  WEBHOOK_TIMEOUT_MS,
  webhookHeaders,
  webhookRetryWindowSeconds,
} from "../../src/core/webhook-signature.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";

describe("signWebhook", () => {
  it("is HMAC-SHA256 over timestamp.body, hex, prefixed sha256=", async () => {
    const body = '{"deliveryId":"dlv_1","type":"job.stage"}';
    const expected = createHmac("sha256", "k".repeat(16)).update(`1700000000.${body}`).digest("hex");
    expect(await signWebhook("k".repeat(16), 1_700_000_000, body)).toBe(`sha256=${expected}`);
    expect(await signWebhook("k".repeat(16), 1_700_000_001, body)).not.toBe(`sha256=${expected}`);
    expect(await signWebhook("j".repeat(16), 1_700_000_000, body)).not.toBe(`sha256=${expected}`);
  });

  it("imports a secret's key once, keeps at most KEYS_KEPT, and still signs right with each (property)", async () => {
    const imports = vi.spyOn(crypto.subtle, "importKey");
    try {
      const secret = "s".repeat(20);
      for (let t = 0; t < 5; t++) await signWebhook(secret, t, "{}");
      expect(imports).toHaveBeenCalledTimes(1);
      // More secrets than are kept: every signature stays right, and the first is imported again once dropped.
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: KEYS_KEPT * 2 }), async (i) => {
          const s = `secret-${i}-`.padEnd(20, "x");
          const want = createHmac("sha256", s).update("7.{}").digest("hex");
          expect(await signWebhook(s, 7, "{}")).toBe(`sha256=${want}`);
        }),
        { numRuns: 300 },
      );
      imports.mockClear();
      for (let i = 0; i <= KEYS_KEPT; i++) await signWebhook(`fill-${i}`, 1, "{}");
      await signWebhook("fill-0", 1, "{}");
      expect(imports).toHaveBeenCalledTimes(KEYS_KEPT + 2);
    } finally {
      imports.mockRestore();
    }
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

describe("the webhook's backoff ceilings (core/backoff draws each delay below them)", () => {
  it("double from 2 s", () => {
    expect([1, 2, 3, 4].map((n) => backoffCeilingSeconds(n, WEBHOOK_BACKOFF))).toEqual([2, 4, 8, 16]);
  });

  it("never shrink as attempts grow and stay within 2 s … 300 s (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1_000 }), (n) => {
        const d = backoffCeilingSeconds(n, WEBHOOK_BACKOFF);
        expect(d).toBeGreaterThanOrEqual(2);
        expect(d).toBeLessThanOrEqual(300);
        expect(backoffCeilingSeconds(n + 1, WEBHOOK_BACKOFF)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});

describe("the webhook's documented delivery rules", () => {
  it("the tries span at most 2 + 4 + … + 256 s: about 8½ minutes of a receiver's outage", () => {
    expect(webhookRetryWindowSeconds()).toBe(510);
  });

  it("PUT …/webhook's description says what delivers, how long it is retried, and how large a body gets", () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { description?: string }>> };
    const summary = doc.paths["/api/v1/products/{productId}/webhook"]?.put?.description ?? "";
    expect(summary).toContain(`A 2xx answer within ${WEBHOOK_TIMEOUT_MS / 1000} s delivers it`);
    expect(summary).toContain("a redirect (never followed)");
    // Only the body is signed: a receiver deduping on the header would take a replayed capture with a new one.
    expect(summary).toContain("dedupe on the body's, which the signature covers (the header it does not)");
    expect(summary).toContain(
      `${WEBHOOK_LAST_TRY} tries over at most about 9 minutes of jittered backoff, then a dead letter`,
    );
    // A receiver's own word on when to come back is waited out, and holds back the rest of its lane as a hang does.
    expect(summary).toContain("A 429 or 503 with Retry-After (seconds or an HTTP-date, honoured up to an hour)");
    expect(summary).toContain(
      "so does a try with no answer: they go back unsent, each counting a try but never its last",
    );
    expect(summary).toContain(`at most ${RECORD_MAX_BYTES.webhook / 1024} KiB of JSON`);
    expect(summary).toContain("truncated: {bytes}");
  });
});
