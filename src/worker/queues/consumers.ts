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
import { unwrap } from "../../core/errors.ts";
import type { HistoryMessage } from "../../history/write.ts";
import { coordinatorFor } from "../auth.ts";
import { BatchReleases } from "./batch-releases.ts";
import { DeadLetterCalls, keepForMessages, type MessageLetters } from "./dead-letter-calls.ts";
import type { DeadLetter } from "./dead-letters.ts";
import { historyBatch } from "./history.ts";
import { batchIdOf, type DispatchMessage, DispatchMessageSchema } from "./messages.ts";
import { isQueueProbe } from "./probes.ts";
import { queueRetryDelay } from "./retry.ts";
import { type WebhookQueueMessage, webhookBatch } from "./webhooks.ts";

/**
 * The dispatch consumer's last delivery (wrangler.toml `max_retries` = 4, so 5): a message whose coordinator call fails
 * then is kept as a dead letter here, with that failure as its reason. Left to the dead-letter queue, it was kept as
 * "delivery failed after all retries", and an operator could not tell a coordinator outage from a unit that threw.
 */
export const DISPATCH_LAST_TRY = 5;

export async function handleQueue(batch: MessageBatch, env: Env, _ctx?: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dispatch")) return dispatchBatch(batch as MessageBatch<DispatchMessage>, env);
  if (batch.queue.endsWith("-history")) return historyBatch(batch as MessageBatch<HistoryMessage>, env);
  if (batch.queue.endsWith("-webhooks")) return webhookBatch(batch as MessageBatch<WebhookQueueMessage>, env);
  if (batch.queue.endsWith("-dlq")) return deadLetterBatch(batch, env);
  console.warn(`no consumer for queue ${batch.queue}`);
  // Backed off as every consumer's failures are (worker/queues/retry): `retryAll()` with no delay had sent the batch
  // of a queue bound before its consumer was deployed straight back, every delivery at once, until its retries ran out.
  for (const msg of batch.messages) msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
}

/**
 * Submits each message's items to its product's coordinator, one message at a time, and keeps the batch's dead letters
 * — malformed messages, items the coordinator refused, last tries' failures — in one call once the batch is through
 * (worker/queues/dead-letter-calls; more only for the largest batches), each of those messages then acked once its
 * own are kept (and, for one never delivered, its bulk batch told), else retried. A message whose items all went in is acked at once: its
 * path has no dead-letter step. A call a message had been, with D1 down, one coordinator call, audit record and ALERT
 * line a message. Resubmitting is harmless (idempotency keys), so a message whose refusals could not be kept is
 * retried whole.
 */
async function dispatchBatch(batch: MessageBatch<DispatchMessage>, env: Env): Promise<void> {
  const letters = new DeadLetterCalls(env);
  const releases = new BatchReleases(env);
  for (const msg of batch.messages) {
    // A message that is malformed will never succeed: dead-letter it now rather than retry it.
    const parsed = DispatchMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      const body = msg.body as { productId?: unknown };
      const reason = `malformed message: ${firstIssue(parsed.error)}`; // cut to its bound where it is kept
      const productId = typeof body?.productId === "string" ? body.productId : "";
      // Never delivered, so its batch's items will not come: say so before acking (the keys may still be legible).
      await letters.add({
        msg,
        letters: [letter(msg, productId, "queue:dispatch", reason)],
        afterKept: release(releases, msg),
      });
      continue;
    }
    const m = parsed.data as DispatchMessage;
    let refused: DeadLetter[];
    try {
      const coordinator = coordinatorFor(env, m.productId);
      const results = await unwrap(coordinator.submitMany(m.productId, m.items, m.actor, batchIdOf(m.origin)));
      // Items the coordinator refused (e.g. an unknown dep) will never succeed: record, don't retry.
      refused = results.flatMap((r, i): DeadLetter[] =>
        r.ok
          ? []
          : [{ ...letter(msg, m.productId, m.origin, `${r.code}: ${r.message}`, m.items[i]), id: `${msg.id}:${i}` }],
      );
    } catch (err) {
      console.warn(`dispatch message ${msg.id} failed (attempt ${msg.attempts}): ${String(err)}`);
      if (msg.attempts < DISPATCH_LAST_TRY) msg.retry({ delaySeconds: queueRetryDelay(msg.attempts) });
      else await letters.add({ msg, letters: [lastTry(msg, m.productId, err)], afterKept: release(releases, msg) });
      continue;
    }
    // Outside the try: a message handed to `letters` is settled there, never also retried here.
    if (refused.length === 0) msg.ack();
    else await letters.add({ msg, letters: refused });
  }
  await letters.flush();
}

/** `msg`'s dead letter under its own id, `at` now; `body` the message's unless given (a refused item's). */
function letter(msg: Message, productId: string, source: string, reason: string, body: unknown = msg.body): DeadLetter {
  return { id: msg.id, productId, source, reason, body, attempts: msg.attempts, at: Date.now() };
}

/**
 * Once its dead letter is kept: tells `msg`'s bulk batch its items will not come (coordinator/jobs/batches
 * `rejectUndelivered`), so `GET …/batches/{id}` can say `done` instead of `queued` until the batch is pruned — in one
 * call per product for all of a queue batch's messages settled together (worker/queues/batch-releases).
 */
const release = (releases: BatchReleases, msg: Message) => () => releases.after(msg.body);

/**
 * The dead letter of a dispatch message whose coordinator call failed on its last delivery: under the message's id
 * and the dead-letter queue's source (`queue:submit`, redrivable as before), with the failure as its reason. Its bulk
 * batch is told its items will not come once it is kept; should either fail, the message is retried, and the
 * dead-letter queue keeps it (D1 keeps the first of the same id, so a reason kept here stays).
 */
function lastTry(msg: Message<DispatchMessage>, productId: string, err: unknown): DeadLetter {
  const reason = `the coordinator failed this message on all ${msg.attempts} deliveries; the last: ${String(err)}`;
  return letter(msg, productId, "queue:submit", reason); // cut to its bound where it is kept (dead-letters)
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
  const releases = new BatchReleases(env);
  // Acked only once kept somewhere: a dead letter that could not be written waits for redelivery, never dropped.
  // A dispatch message also waits until its bulk batch knows its items will not come.
  // The outbox's probes carry no record: nothing was lost (worker/queues/probes).
  const messages = batch.messages.filter((msg) => {
    if (!isQueueProbe(msg.body)) return true;
    msg.ack();
    return false;
  });
  const letters = messages.map((msg): MessageLetters => {
    const body = msg.body as { productId?: unknown; kind?: unknown };
    const d: DeadLetter = {
      id: msg.id,
      productId: typeof body?.productId === "string" ? body.productId : "",
      source: `queue:${QUEUE_KINDS.has(body?.kind) ? body?.kind : "unknown"}`,
      reason: "delivery failed after all retries",
      body: msg.body,
      attempts: msg.attempts,
      at: now,
    };
    return { msg, letters: [d], afterKept: release(releases, msg) };
  });
  await keepForMessages(env, letters);
}
