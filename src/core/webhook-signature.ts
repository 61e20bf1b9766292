/**
 * @module core/webhook-signature
 * Webhook signing (issue 9, part 6), with WebCrypto only (no runtime-specific imports): HMAC-SHA256 with the
 * product's webhook secret over `${timestamp}.${rawBody}`, sent as
 *   X-Gigafactory-Signature: sha256=<hex>
 *   X-Gigafactory-Timestamp: <unix seconds>
 *   X-Gigafactory-Delivery: <delivery id>
 * The timestamp is inside the signed material, so a captured request cannot be replayed later with a fresh
 * timestamp; a receiver rejects timestamps too far from its clock and dedupes on the body's `deliveryId`: the
 * signature covers the body, not the X-Gigafactory-Delivery header, so a capture replayed within the window under
 * a header of its own choosing must still read as the delivery it is.
 */

import { type Backoff, backoffCeilingSeconds } from "./backoff.ts";

export const SIGNATURE_HEADER = "X-Gigafactory-Signature";
export const TIMESTAMP_HEADER = "X-Gigafactory-Timestamp";
export const DELIVERY_HEADER = "X-Gigafactory-Delivery";

/**
 * Retry backoff of a failed delivery (core/backoff, full jitter): each delay drawn from 0 up to 2, 4, 8, … s, capped
 * at 300 (5 min) — a receiver gets time to come back, and the deliveries of one outage do not return all at once.
 */
export const WEBHOOK_BACKOFF: Backoff = Object.freeze({ baseSeconds: 2, capSeconds: 300 });

/**
 * The longest a receiver's `Retry-After` (on a 429 or 503) holds a delivery back, s: one hour. Past it the
 * delivery is tried anyway (and counts the try), so a receiver's `Retry-After: 31536000` cannot park its deliveries
 * for the queue's limit on every one of their tries.
 */
export const WEBHOOK_RETRY_AFTER_MAX_SECONDS = 3_600;

/**
 * The webhook queue's last delivery of a message (wrangler.toml: the webhook consumer's `max_retries` = 8, so 9
 * deliveries): one that fails then is kept as a dead letter (worker/queues/webhooks), with the receiver's last
 * answer as its reason. Here, beside the backoff, so the API's description states both (worker/openapi-ops-alerts).
 */
export const WEBHOOK_LAST_TRY = 9;

/** A receiver that has not answered in this long is treated as down for this attempt: the retry will come (ms). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Seconds from a delivery's first try to its last at most (the backoffs' ceilings between them; jitter makes the
 * expected span half of it): what a receiver's outage may last. A receiver's `Retry-After` may stretch it.
 */
export function webhookRetryWindowSeconds(): number {
  let total = 0;
  for (let attempt = 1; attempt < WEBHOOK_LAST_TRY; attempt++) total += backoffCeilingSeconds(attempt, WEBHOOK_BACKOFF);
  return total;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Secrets whose HMAC key is kept, most recently used last: a consumer isolate serves few products at a time. */
export const KEYS_KEPT = 64;
const keys = new Map<string, CryptoKey>();

/**
 * The HMAC-SHA256 key of `secret`, imported once and kept (at most KEYS_KEPT, least recently used dropped).
 * Only resolved keys are kept, never a pending import: a failed import is not remembered, and nothing started
 * for one request is handed to another.
 */
async function hmacKey(secret: string): Promise<CryptoKey> {
  const hit = keys.get(secret);
  if (hit) {
    keys.delete(secret);
    keys.set(secret, hit);
    return hit;
  }
  const raw = new TextEncoder().encode(secret);
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  keys.set(secret, key);
  if (keys.size > KEYS_KEPT) keys.delete(keys.keys().next().value as string);
  return key;
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${rawBody}`); `timestamp` in unix seconds. */
export async function signWebhook(secret: string, timestamp: number, rawBody: string): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    new TextEncoder().encode(`${timestamp}.${rawBody}`),
  );
  return `sha256=${hex(mac)}`;
}

/** The headers of one signed delivery attempt. */
export async function webhookHeaders(
  secret: string,
  deliveryId: string,
  timestamp: number,
  rawBody: string,
): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    [SIGNATURE_HEADER]: await signWebhook(secret, timestamp, rawBody),
    [TIMESTAMP_HEADER]: String(timestamp),
    [DELIVERY_HEADER]: deliveryId,
  };
}
