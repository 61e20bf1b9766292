/**
 * @module worker/queues/consumers
 * The Worker's `queue()` handler, one branch per queue. Acknowledgement is per
 * message: a message is acked only once its effect is durable, retried with
 * backoff otherwise, and after `max_retries` lands in the dead-letter queue,
 * whose consumer records it for the API — in D1, or in its product's
 * coordinator when D1 refuses it; a dead letter is acked only once it is kept
 * somewhere, never dropped. Every effect is idempotent, so redelivery is harmless.
 */
import { unwrap } from "../../core/errors.ts";
import type { HistoryMessage } from "../../history/write.ts";
import { coordinatorFor } from "../auth.ts";
import { type DeadLetter, keepDeadLetters } from "./dead-letters.ts";
import { historyBatch } from "./history.ts";
import { batchIdOf, type DispatchMessage, DispatchMessageSchema } from "./messages.ts";
import { type WebhookMessage, webhookBatch } from "./webhooks.ts";

/** Retry delay grows with attempts: 2, 4, 8, 16 s — long enough for a blip to pass. */
const retryDelay = (attempts: number) => Math.min(2 ** attempts, 60);

export async function handleQueue(batch: MessageBatch, env: Env, _ctx?: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dispatch")) return dispatchBatch(batch as MessageBatch<DispatchMessage>, env);
  if (batch.queue.endsWith("-history")) return historyBatch(batch as MessageBatch<HistoryMessage>, env);
  if (batch.queue.endsWith("-webhooks")) return webhookBatch(batch as MessageBatch<WebhookMessage>, env);
  if (batch.queue.endsWith("-dlq")) return deadLetterBatch(batch, env);
  console.warn(`no consumer for queue ${batch.queue}`);
  batch.retryAll();
}

async function dispatchBatch(batch: MessageBatch<DispatchMessage>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    // A message that is malformed will never succeed: dead-letter it now rather than retry it.
    const parsed = DispatchMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      const body = msg.body as { productId?: unknown };
      const [kept] = await keepDeadLetters(env, [
        {
          id: msg.id,
          productId: typeof body?.productId === "string" ? body.productId : "",
          source: "queue:dispatch",
          reason: `malformed message: ${parsed.error.issues[0]?.message ?? "invalid"}`,
          body: msg.body,
          attempts: msg.attempts,
          at: Date.now(),
        },
      ]);
      if (kept) msg.ack();
      else msg.retry({ delaySeconds: retryDelay(msg.attempts) });
      continue;
    }
    const m = parsed.data as DispatchMessage;
    try {
      const coordinator = coordinatorFor(env, m.productId);
      const results = await unwrap(coordinator.submitMany(m.productId, m.items, m.actor, batchIdOf(m.origin)));
      // Items the coordinator refused (e.g. an unknown dep) will never succeed: record, don't retry.
      // Resubmitting is harmless (idempotency keys), so a message whose refusals could not be kept is retried whole.
      const kept = await keepDeadLetters(
        env,
        results.flatMap((r, i): DeadLetter[] =>
          r.ok
            ? []
            : [
                {
                  id: `${msg.id}:${i}`,
                  productId: m.productId,
                  source: m.origin,
                  reason: `${r.code}: ${r.message}`,
                  body: m.items[i],
                  attempts: msg.attempts,
                  at: Date.now(),
                },
              ],
        ),
      );
      if (kept.every(Boolean)) msg.ack();
      else msg.retry({ delaySeconds: retryDelay(msg.attempts) });
    } catch (err) {
      console.warn(`dispatch message ${msg.id} failed (attempt ${msg.attempts}): ${String(err)}`);
      msg.retry({ delaySeconds: retryDelay(msg.attempts) });
    }
  }
}

async function deadLetterBatch(batch: MessageBatch, env: Env): Promise<void> {
  const now = Date.now();
  const items = batch.messages.map((msg): DeadLetter => {
    const body = msg.body as { productId?: unknown; kind?: unknown };
    return {
      id: msg.id,
      productId: typeof body?.productId === "string" ? body.productId : "",
      source: `queue:${typeof body?.kind === "string" ? body.kind : "unknown"}`,
      reason: "delivery failed after all retries",
      body: msg.body,
      attempts: msg.attempts,
      at: now,
    };
  });
  const kept = await keepDeadLetters(env, items);
  // Acked only once kept somewhere: a dead letter that could not be written waits for redelivery, never dropped.
  batch.messages.forEach((msg, i) => {
    if (kept[i]) msg.ack();
    else msg.retry({ delaySeconds: retryDelay(msg.attempts) });
  });
}
