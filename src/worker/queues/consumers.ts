/**
 * @module worker/queues/consumers
 * The Worker's `queue()` handler, one branch per queue. Acknowledgement is per
 * message: a message is acked only once its effect is durable, retried with
 * jittered backoff otherwise (worker/queues/retry) — a dispatch message whose coordinator still fails on its last
 * delivery is kept as a dead letter with that failure — and after `max_retries` lands in the dead-letter queue,
 * whose consumer records it for the API — in D1, or in its product's
 * coordinator when D1 refuses it; a dead letter is acked only once it is kept
 * somewhere, never dropped. A dead-lettered dispatch message of a bulk batch is also
 * acked only once its batch is told its items will not come (else the batch is never
 * `done`). Every effect is idempotent, so redelivery is harmless.
 */
import type { z } from "zod";
import { DomainError, unwrap } from "../../core/errors.ts";
import type { HistoryMessage } from "../../history/write.ts";
import { ProductId } from "../../shared/api.ts";
import { coordinatorFor } from "../auth.ts";
import { type DeadLetter, keepDeadLetters } from "./dead-letters.ts";
import { historyBatch } from "./history.ts";
import { batchIdOf, type DispatchMessage, DispatchMessageSchema } from "./messages.ts";
import { queueRetryDelay } from "./retry.ts";
import { type WebhookMessage, webhookBatch } from "./webhooks.ts";

/**
 * The dispatch consumer's last delivery (wrangler.toml `max_retries` = 4, so 5): a message whose coordinator call fails
 * then is kept as a dead letter here, with that failure as its reason. Left to the dead-letter queue, it was kept as
 * "delivery failed after all retries", and an operator could not tell a coordinator outage from a unit that threw.
 */
export const DISPATCH_LAST_TRY = 5;

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
          reason: `malformed message: ${firstIssue(parsed.error)}`, // cut to its bound where it is kept (dead-letters)
          body: msg.body,
          attempts: msg.attempts,
          at: Date.now(),
        },
      ]);
      // Never delivered, so its batch's items will not come: say so before acking (the keys may still be legible).
      if (kept && (await releaseBatchItems(env, msg.body))) msg.ack();
      else msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
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
      else msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
    } catch (err) {
      console.warn(`dispatch message ${msg.id} failed (attempt ${msg.attempts}): ${String(err)}`);
      if (msg.attempts < DISPATCH_LAST_TRY || !(await lastTry(env, msg, m.productId, err))) {
        msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
      } else msg.ack();
    }
  }
}

/**
 * The last delivery of a dispatch message whose coordinator call failed: kept as a dead letter under the message's
 * id and the dead-letter queue's source (`queue:submit`, redrivable as before), with the failure as its reason, and
 * its bulk batch told its items will not come. Should either fail, the message is retried, and the dead-letter
 * queue keeps it (D1 keeps the first of the same id, so a reason kept here stays).
 * @returns whether the message may be acked
 */
async function lastTry(env: Env, msg: Message<DispatchMessage>, productId: string, err: unknown): Promise<boolean> {
  const reason = `the coordinator failed this message on all ${msg.attempts} deliveries; the last: ${String(err)}`;
  const [kept] = await keepDeadLetters(env, [
    {
      id: msg.id,
      productId,
      source: "queue:submit",
      reason, // cut to its bound where it is kept (dead-letters)
      body: msg.body,
      attempts: msg.attempts,
      at: Date.now(),
    },
  ]);
  return !!kept && (await releaseBatchItems(env, msg.body));
}

/**
 * A refused message's first problem with where it is (`items.41.manifest.title: …`) and how many more there are: the
 * message alone had read "Invalid input: expected string, received number", naming no field of its 10,000 items.
 */
function firstIssue(error: z.ZodError): string {
  const [first, ...rest] = error.issues;
  if (!first) return "invalid";
  const more = rest.length > 0 ? ` (and ${rest.length} more)` : "";
  return `${first.path.join(".") || "(root)"}: ${first.message}${more}`;
}

/**
 * The kinds of message this Worker's queues carry: a dead-letter-queue message's source names its kind only if it is
 * one of these. Taken from the body as it said, a message of any other shape was kept under `queue:<any text>`, of
 * any length, which redrive then refused as a source it does not know all the same.
 */
const QUEUE_KINDS: ReadonlySet<unknown> = new Set(["submit", "history", "webhook"]);

async function deadLetterBatch(batch: MessageBatch, env: Env): Promise<void> {
  const now = Date.now();
  const items = batch.messages.map((msg): DeadLetter => {
    const body = msg.body as { productId?: unknown; kind?: unknown };
    return {
      id: msg.id,
      productId: typeof body?.productId === "string" ? body.productId : "",
      source: `queue:${QUEUE_KINDS.has(body?.kind) ? body?.kind : "unknown"}`,
      reason: "delivery failed after all retries",
      body: msg.body,
      attempts: msg.attempts,
      at: now,
    };
  });
  const kept = await keepDeadLetters(env, items);
  // Acked only once kept somewhere: a dead letter that could not be written waits for redelivery, never dropped.
  // A dispatch message also waits until its bulk batch knows its items will not come.
  const released = await Promise.all(batch.messages.map((msg, i) => kept[i] && releaseBatchItems(env, msg.body)));
  batch.messages.forEach((msg, i) => {
    if (released[i]) msg.ack();
    else msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
  });
}

/**
 * A dispatch message that will never be delivered (dead-lettered): tells its bulk batch, if it came from one, that its
 * items' jobs will not come (coordinator/jobs/batches `rejectUndelivered`), so `GET …/batches/{id}` can say `done`
 * instead of `queued` until the batch is pruned. Read leniently: a message the dispatch consumer could not parse may
 * still name its product, its batch and its items' keys.
 * @returns false only when the coordinator could not be reached (the caller leaves the message for redelivery); true
 *   once told, when it refused outright (a redelivery would meet the same), or when there is nothing to tell
 */
async function releaseBatchItems(env: Env, body: unknown): Promise<boolean> {
  const m = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const batchId = m.kind === "submit" && typeof m.origin === "string" ? batchIdOf(m.origin) : undefined;
  const keys = (Array.isArray(m.items) ? (m.items as unknown[]) : []).flatMap((item) => {
    const key = (item as { manifest?: { idempotencyKey?: unknown } } | null)?.manifest?.idempotencyKey;
    return typeof key === "string" ? [key] : [];
  });
  const product = ProductId.safeParse(m.productId);
  if (batchId === undefined || keys.length === 0 || !product.success) return true;
  try {
    await unwrap(coordinatorFor(env, product.data).rejectUndelivered(product.data, batchId, keys));
    return true;
  } catch (err) {
    if (err instanceof DomainError) {
      console.warn(`batch ${batchId}: its coordinator refused to mark its undelivered items: ${err.message}`);
      return true;
    }
    console.warn(`batch ${batchId}: could not mark its undelivered items (${String(err)}); redelivery follows`);
    return false;
  }
}
