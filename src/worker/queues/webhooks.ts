/**
 * @module worker/queues/webhooks
 * The webhook queue's consumer: each message is one delivery, POSTed as JSON to its product's webhook and signed
 * (core/webhook-signature). At least once: a message is acked only on a 2xx answer; any other answer, a network
 * error or a coordinator that cannot be read retries it with jittered exponential backoff
 * (`message.retry({delaySeconds})`, worker/queues/retry), and after the queue's `max_retries` it lands in the dead-letter queue (worker/queues/consumers `deadLetterBatch`).
 * Every attempt carries the same delivery id (header and body) and a fresh timestamp and signature. A retry can
 * reach the receiver after later deliveries: the body's `seq` (outbox/webhook-records) is what orders them.
 * A product whose webhook was removed meanwhile has nobody to tell: its messages are acked, not retried.
 *
 * A message is one delivery as the coordinator's outbox recorded it (outbox/webhook-records). The target URL and
 * secret are NOT in it: they are read from the coordinator at send time, so the secret never travels through a queue
 * and a webhook removed or re-pointed meanwhile is honoured.
 *
 * One queue carries every product's deliveries, so a batch is delivered in lanes, one per product (one product, one
 * webhook): the lanes run concurrently, so a receiver that hangs until the timeout holds up only its own product's
 * deliveries, never another product's; within a lane, one POST at a time in the batch's order, so a receiver sees
 * its product's changes in `seq` order except when a retry comes late (and gets one request at a time from a batch).
 * A lane whose receiver let a try time out sends nothing more from that batch: the rest of its messages are retried
 * unsent, with their own backoff (each counts a delivery, never its last: a message on its last try is still sent).
 * Else every message of a batch waited out the timeout in turn — 10 × 10 s for one batch of a hung receiver, a
 * consumer held that long per batch, when the queue's consumers are shared by every product.
 * A receiver that answers 429 or 503 with `Retry-After` (worker/queues/webhook-deliver) is taken at its word: that
 * delivery is retried after the wait it named (bounded by WEBHOOK_RETRY_AFTER_MAX_SECONDS), and the rest of its lane
 * is held back unsent as after a timeout, each after that wait plus its own jittered backoff — never all at once.
 * The tries still count: a delivery refused so on its last try is a dead letter as any other.
 * Each lane then tells its coordinator, in at most one call, what its deliveries say of the `webhook_failing` alert
 * (worker/queues/webhook-lane): dead letters raise it, a delivery taken while it is live resolves it — a lane that
 * only delivered, with no alert live, makes no call beyond its tries' target reads.
 */

import { z } from "zod";
import { QUEUE_MAX_DELAY_SECONDS } from "../../core/backoff.ts";
import { truncateUtf8, utf8Text } from "../../core/bytes.ts";
import { WEBHOOK_LAST_TRY, WEBHOOK_TIMEOUT_MS } from "../../core/webhook-signature.ts";
import type { WebhookBody } from "../../durable-objects/coordinator/outbox/webhook-records.ts";
import { ProductId } from "../../shared/api.ts";
import { DeadLetterCalls } from "./dead-letter-calls.ts";
import type { DeadLetter } from "./dead-letters.ts";
import { WebhookProbeSchema } from "./probes.ts";
import { webhookRetryDelay } from "./retry.ts";
import { deliver } from "./webhook-deliver.ts";
import { WebhookLane } from "./webhook-lane.ts";

export interface WebhookMessage {
  kind: "webhook";
  productId: string;
  body: WebhookBody;
}

/**
 * Consumers re-validate: a queue is a boundary too. The body stays open: it is forwarded as recorded — but the
 * product it names, if any, is the message's: one naming another was POSTed, signed, to this product's receiver as a change
 * of that other product (redrive refused it; a first delivery did not).
 */
export const WebhookMessageSchema = z
  .object({
    kind: z.literal("webhook"),
    productId: ProductId,
    body: z.looseObject({ deliveryId: utf8Text(100, z.string().min(1)), type: utf8Text(100, z.string().min(1)) }),
  })
  .refine((m) => m.body.productId === undefined || m.body.productId === m.productId, {
    message: "its body names another product than its message",
    path: ["body", "productId"],
  });

/**
 * The outbox's ask whether the queue is up (outbox/round-plan `probeQueue`), sent when a refused delivery was all a
 * quiet product sent the queue that round: taken, the refusal was the delivery's. Acknowledged unread — nothing is
 * POSTed, no coordinator is asked. Without it such a delivery was never blamed and retried every 5 min for ever.
 */
export interface WebhookProbe {
  kind: "webhook_probe";
  productId: string;
}

/** What the webhook queue carries: a delivery, or the outbox's probe. */
export type WebhookQueueMessage = WebhookMessage | WebhookProbe;

/** The queue's last delivery of a webhook message (core/webhook-signature), kept as a dead letter here if it fails. */
export { WEBHOOK_LAST_TRY };

/**
 * Delivers a batch: each message is acked or retried (`retry({delaySeconds})`: a receiver's Retry-After, else the
 * jittered backoff of worker/queues/retry) on its own; lanes by product run concurrently, each lane's messages one
 * after another in batch order (after a try that timed out or named a Retry-After, the rest of its lane retried
 * unsent: module header). Never throws: an
 * unexpected error retries its message only (a throw would leave the rest of the batch to be retried or, once the
 * handler returned, implicitly acked unsent).
 */
export async function webhookBatch(batch: MessageBatch<WebhookQueueMessage>, env: Env): Promise<void> {
  // The batch's dead letters (malformed messages, last tries that failed), every lane's, kept in one call once the
  // lanes are done (worker/queues/dead-letter-calls): one a message had been, with D1 down, one coordinator call,
  // audit record and ALERT line a message.
  const letters = new DeadLetterCalls(env, webhookRetryDelay);
  const reports: WebhookLane[] = [];
  const lanes = new Map<string, Message<WebhookQueueMessage>[]>();
  for (const msg of batch.messages) {
    if (WebhookProbeSchema.safeParse(msg.body).success) {
      msg.ack(); // the outbox's probe: taken is all it asks (WebhookProbe)
      continue;
    }
    // Malformed messages (no product id) share a lane: they are only kept as dead letters, never POSTed.
    const productId = (msg.body as { productId?: unknown } | null)?.productId;
    const key = typeof productId === "string" ? productId : "";
    const lane = lanes.get(key);
    if (lane) lane.push(msg);
    else lanes.set(key, [msg]);
  }
  await Promise.allSettled(
    [...lanes].map(async ([productId, lane]) => {
      // Set once the lane's receiver did not answer in time, or asked for a wait: the rest is not sent (header).
      let hold: Exclude<Outcome, "settled"> | undefined;
      let heldBack = 0;
      const report = new WebhookLane(productId);
      reports.push(report);
      for (const msg of lane) {
        try {
          if (hold && msg.attempts < WEBHOOK_LAST_TRY) {
            heldBack++;
            const own = webhookRetryDelay(msg.attempts);
            const wait = hold === "timed out" ? own : Math.min(hold.retryAfter + own, QUEUE_MAX_DELAY_SECONDS);
            msg.retry({ delaySeconds: wait });
            continue;
          }
          const outcome = await settle(env, msg, letters, report);
          if (outcome !== "settled") hold ??= outcome;
        } catch (err) {
          console.warn(`webhook message ${msg.id} could not be settled (attempt ${msg.attempts}): ${String(err)}`);
          msg.retry({ delaySeconds: webhookRetryDelay(msg.attempts) });
        }
      }
      if (heldBack > 0) {
        const why =
          hold === "timed out"
            ? `a try got no answer in ${WEBHOOK_TIMEOUT_MS} ms`
            : `the receiver asked to wait ${hold?.retryAfter} s (Retry-After)`;
        console.warn(`webhook of ${productId}: ${heldBack} deliveries retried unsent, ${why}`);
      }
    }),
  );
  await letters.flush();
  // After the letters are kept: an alert that names dead letters the list does not show yet would mislead.
  await Promise.all(reports.map((r) => r.send(env)));
}

/** How a try ended, for its lane: delivered or refused ("settled"), no answer in time, or a wait the receiver named. */
type Outcome = "settled" | "timed out" | { retryAfter: number };

/** Whether `err` is the end of a try by the delivery timeout (`AbortSignal.timeout`'s reason, as fetch rejects). */
function isTimeout(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === "TimeoutError";
}

/**
 * One message's attempt, then its ack, retry (after the receiver's `Retry-After` when it named one, else the
 * backoff) or — malformed, or on the last try — its dead letter added to `letters`, which settle it (webhookBatch);
 * `lane` hears of a delivery taken and of a delivery dead-lettered after its last try.
 * @returns "timed out" when the receiver did not answer within WEBHOOK_TIMEOUT_MS; `{ retryAfter }` (s, bounded)
 *   when it asked for a wait before the next try; else "settled"
 */
async function settle(
  env: Env,
  msg: Message<WebhookQueueMessage>,
  letters: DeadLetterCalls,
  lane: WebhookLane,
): Promise<Outcome> {
  const parsed = WebhookMessageSchema.safeParse(msg.body);
  const dead = (productId: unknown, reason: string): DeadLetter => ({
    id: msg.id,
    productId: typeof productId === "string" ? productId : "",
    source: "queue:webhook",
    reason,
    body: msg.body,
    attempts: msg.attempts,
    at: Date.now(),
  });
  if (!parsed.success) {
    // Malformed never becomes well-formed: keep it as a dead letter now rather than retry it.
    const productId = (msg.body as { productId?: unknown } | null)?.productId;
    await letters.add({
      msg,
      letters: [dead(productId, `malformed message: ${parsed.error.issues[0]?.message ?? "invalid"}`)],
    });
    return "settled";
  }
  const m = parsed.data;
  let failure: string;
  let outcome: Outcome = "settled";
  try {
    const refused = await deliver(env, m.productId, JSON.stringify(m.body), m.body.deliveryId, lane);
    if (refused === undefined) {
      msg.ack();
      lane.tookOne();
      return "settled";
    }
    failure = refused.failure;
    if (refused.retryAfter !== undefined) outcome = { retryAfter: refused.retryAfter };
  } catch (err) {
    if (isTimeout(err)) outcome = "timed out";
    // Dead letters are listed to viewers, and logs are read by whoever runs `wrangler tail`: a URL in the error
    // (workerd's "Fetch API cannot load: <url>") keeps its origin only, in both — its path may be a secret.
    // The error's own words (webhook-deliver), without its class: "Error: Network connection lost." told nobody why.
    failure = (err instanceof Error ? err.message : String(err)).replace(/(https?:\/\/[^\s/?#]+)\S*/g, "$1");
    console.warn(`webhook delivery ${msg.id} failed (attempt ${msg.attempts}): ${failure}`);
  }
  if (msg.attempts < WEBHOOK_LAST_TRY) {
    const wait = typeof outcome === "object" ? outcome.retryAfter : webhookRetryDelay(msg.attempts);
    msg.retry({ delaySeconds: wait });
    return outcome;
  }
  // The queue's last delivery: kept with what went wrong, not left to the dead-letter queue, which cannot say.
  // Acked, or retried, once the batch's dead letters are kept (webhookBatch).
  const reason = `webhook delivery failed on all ${msg.attempts} attempts; the last: ${truncateUtf8(failure, 512)}`;
  await letters.add({ msg, letters: [dead(m.productId, reason)] });
  lane.deadLetter(failure);
  return outcome;
}
