/**
 * Test-only webhook receiver: the Worker's outbound `fetch` to the webhook URL is answered here, inside workerd
 * (vitest-pool-workers runs the Worker, its Durable Objects and queue consumers in the test's isolate, so a spy on
 * `globalThis.fetch` sees their requests; any other URL goes to the real fetch). Each request is recorded with its
 * headers and raw body; the answer status comes from `answer` (default: 200). Deliveries of earlier tests may still
 * arrive (queue retries): tests pick their own by product or delivery id, and `answer` decides by the request alone.
 * An `answer` may be a promise (a receiver that hangs until the test releases it); the request's abort signal (the
 * consumer's delivery timeout) ends the wait as it would a real connection's. A 3xx answer points at REDIRECT_TARGET,
 * and a request that did not ask for `redirect: "manual"` follows it there, as the real fetch would.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src/worker/index.ts";

export const HOOK_URL = "http://127.0.0.1:8787/hook";
/** Where a receiver answering 3xx points (`Location`): a request to it is recorded like any other. */
export const REDIRECT_TARGET = `${HOOK_URL}/redirected-elsewhere`;

export interface Received {
  url: string;
  /** How the sender asked fetch to treat a 3xx ("manual": handed back, never followed). */
  redirect: Request["redirect"];
  headers: Record<string, string>;
  raw: string;
  body: {
    deliveryId: string;
    seq: number;
    productId: string;
    at: number;
    type: string;
    job?: Record<string, unknown>;
    alert?: Record<string, unknown>;
  };
}

export function receiver(answer: (r: Received) => number | Promise<number> = () => 200) {
  const received: Received[] = [];
  const real = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init as RequestInit);
    if (!req.url.startsWith(HOOK_URL)) return real(input as RequestInfo, init as RequestInit);
    const raw = await req.text();
    const r: Received = {
      url: req.url,
      redirect: req.redirect,
      headers: Object.fromEntries(req.headers),
      raw,
      body: JSON.parse(raw),
    };
    received.push(r);
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(req.signal.reason);
      if (req.signal.aborted) fail();
      else req.signal.addEventListener("abort", fail);
    });
    const status = await Promise.race([answer(r), aborted]);
    // A 3xx points elsewhere: the real fetch would follow it unless told not to, so this one does too.
    if (status >= 300 && status < 400 && req.redirect === "follow")
      return globalThis.fetch(REDIRECT_TARGET, { method: req.method, headers: req.headers, body: raw });
    return new Response(null, { status, headers: status >= 300 && status < 400 ? { location: REDIRECT_TARGET } : {} });
  });
  return { received, restore: () => spy.mockRestore() };
}

/** Verifies a delivery's signature with WebCrypto, as a receiver would: HMAC-SHA256 over `${timestamp}.${raw}`. */
export async function verifySignature(secret: string, r: Received): Promise<boolean> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  const sig = /^sha256=([0-9a-f]{64})$/.exec(r.headers["x-gigafactory-signature"] ?? "")?.[1];
  if (!sig) return false;
  const bytes = new Uint8Array(sig.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  const signed = `${r.headers["x-gigafactory-timestamp"]}.${r.raw}`;
  return crypto.subtle.verify("HMAC", key, bytes, enc.encode(signed));
}

/** Hands `messages` to the Worker's webhook queue consumer as one batch; what it acked and retried. */
export async function deliverWebhooks(messages: Array<{ id: string; body: unknown; attempts: number }>) {
  const batch = createMessageBatch(
    "gigafactory-webhooks",
    messages.map((m) => ({ ...m, timestamp: new Date() })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch, env, ctx);
  return getQueueResult(batch, ctx);
}
