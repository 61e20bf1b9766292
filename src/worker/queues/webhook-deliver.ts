/**
 * @module worker/queues/webhook-deliver
 * One try of a webhook delivery (the webhook consumer, worker/queues/webhooks, acks, retries or dead-letters on its
 * answer): the target and secret read from the product's coordinator at send time, the body signed afresh
 * (core/webhook-signature) and POSTed, never following a redirect, ended by WEBHOOK_TIMEOUT_MS. A receiver's own
 * word on when to come back — `Retry-After` on a 429 or 503 (core/backoff `retryAfterSeconds`) — is handed back,
 * bounded by WEBHOOK_RETRY_AFTER_MAX_SECONDS: the consumer retries then instead of on its own schedule, which had
 * sent a rate-limited or restarting receiver its next tries sooner than it asked.
 */
import { QUEUE_MAX_DELAY_SECONDS, retryAfterSeconds } from "../../core/backoff.ts";
import { unwrap } from "../../core/errors.ts";
import { timedOutText, unreachableText } from "../../core/webhook-failing.ts";
import {
  DELIVERY_HEADER,
  WEBHOOK_RETRY_AFTER_MAX_SECONDS,
  WEBHOOK_TIMEOUT_MS,
  webhookHeaders,
} from "../../core/webhook-signature.ts";
import { webhookUrlOrigin } from "../../durable-objects/coordinator/policies/webhook.ts";
import { coordinatorFor } from "../auth.ts";
import type { WebhookLane } from "./webhook-lane.ts";

/** A try that did not deliver: what went wrong (for the last try's dead letter), and the wait the receiver named. */
export interface Refusal {
  failure: string;
  /** Seconds the receiver asked to be left alone (429/503 `Retry-After`), bounded; absent when it named none. */
  retryAfter?: number;
}

/** The answers whose `Retry-After` is honoured: "slow down" and "back soon" (RFC 9110 §15.5.20 of 429, §15.6.4). */
const HONOURS_RETRY_AFTER: ReadonlySet<number> = new Set([429, 503]);

/**
 * One attempt. `undefined` when it is settled (delivered, or no webhook to deliver to); else the refusal. `lane`
 * learns from the target's answer whether `webhook_failing` is live (worker/queues/webhook-lane).
 * @throws the fetch's error in words, the URL cut to its origin: a TimeoutError "<origin> did not answer within
 *   10 s (timed out)" when WEBHOOK_TIMEOUT_MS ended it, else "<origin> could not be reached: connection refused,
 *   reset or timed out (<the runtime's words>)" — workerd says only "Network connection lost." of a refused
 *   connection; or the coordinator's error, when the target could not be read
 */
export async function deliver(
  env: Env,
  productId: string,
  rawBody: string,
  deliveryId: string,
  lane?: WebhookLane,
): Promise<Refusal | undefined> {
  const target = await unwrap(coordinatorFor(env, productId).webhookTarget(productId));
  if (!target) {
    if (lane) lane.failing = false; // removed: its alert went with it (policies/webhook `deleteWebhook`)
    return undefined;
  }
  if (lane) lane.failing = target.failing === true;
  // The origin only: the path or query of many receivers' URLs is their secret (policies/webhook).
  const where = webhookUrlOrigin(target.url);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = await webhookHeaders(target.secret, deliveryId, timestamp, rawBody);
  const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  const res = await fetch(target.url, {
    method: "POST",
    headers,
    body: rawBody,
    // A redirect could carry the signed body somewhere the operator never named: not followed, counted a failure.
    redirect: "manual",
    signal,
  }).catch((err: unknown) => {
    // A try the timeout ended is told as the timeout (its TimeoutError), however the runtime words the abort: the
    // lane sends no more of its batch (webhookBatch).
    if (signal.aborted || (err as { name?: unknown } | null)?.name === "TimeoutError")
      throw Object.assign(new Error(timedOutText(where, WEBHOOK_TIMEOUT_MS)), { name: "TimeoutError" });
    // Any other error, with the URL cut to its origin as kept and as parsed: the caller's `https://host/…` pattern
    // misses a URL kept as typed (`http:host/path`, a space in it — PUT accepts them, the parser mends them).
    const e = err instanceof Error ? err : new Error(String(err));
    throw Object.assign(new Error(unreachableText(where, withoutUrl(e.message, target.url))), { name: e.name });
  });
  // The body is not needed: cancelled, never read (a 10 GB answer costs nothing). The status alone is the answer — a
  // body that broke after it (the connection dropped once the status was written) rejects the cancel, and that had
  // turned a 2xx into a failed try: retried, and on the last try a dead letter of a delivery the receiver took.
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return undefined;
  console.warn(`webhook ${DELIVERY_HEADER} ${deliveryId}: ${where} answered ${res.status}`);
  const failure = `${where} answered ${res.status}`;
  const asked = HONOURS_RETRY_AFTER.has(res.status)
    ? retryAfterSeconds(res.headers.get("retry-after"), Date.now())
    : undefined;
  if (asked === undefined) return { failure };
  return { failure, retryAfter: Math.min(asked, WEBHOOK_RETRY_AFTER_MAX_SECONDS, QUEUE_MAX_DELAY_SECONDS) };
}

/** `text` with the webhook's URL, as kept and as parsed, replaced by its origin (policies/webhook `webhookUrlOrigin`). */
function withoutUrl(text: string, url: string): string {
  const forms = [url, URL.canParse(url) ? new URL(url).href : url].sort((a, b) => b.length - a.length);
  return forms.reduce((t, form) => t.split(form).join(webhookUrlOrigin(url)), text);
}
