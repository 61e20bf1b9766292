/**
 * @module worker/queues/consumers
 * The Worker's `queue()` handler, one branch per queue. Acknowledgement is per
 * message: a message is acked only once its effect is durable, retried with
 * backoff otherwise, and after `max_retries` lands in the dead-letter queue,
 * whose consumer records it in D1 for the API. Every effect is idempotent, so
 * redelivery is harmless.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { unwrap } from "../../core/errors.ts";
import { products } from "../../history/schema.ts";
import { type HistoryMessage, type HistoryRecord, writeHistory } from "../../history/write.ts";
import { coordinatorFor } from "../auth.ts";
import { recordDeadLetters } from "./dead-letters.ts";
import { type DispatchMessage, DispatchMessageSchema } from "./messages.ts";

/** Retry delay grows with attempts: 2, 4, 8, 16 s — long enough for a blip to pass. */
const retryDelay = (attempts: number) => Math.min(2 ** attempts, 60);

export async function handleQueue(batch: MessageBatch, env: Env, _ctx?: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dispatch")) return dispatchBatch(batch as MessageBatch<DispatchMessage>, env);
  if (batch.queue.endsWith("-history")) return historyBatch(batch as MessageBatch<HistoryMessage>, env);
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
      await recordDeadLetters(env.DB, [
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
      msg.ack();
      continue;
    }
    const m = parsed.data as DispatchMessage;
    try {
      const results = await unwrap(coordinatorFor(env, m.productId).submitMany(m.productId, m.items, m.actor));
      // Items the coordinator refused (e.g. an unknown dep) will never succeed: record, don't retry.
      await recordDeadLetters(
        env.DB,
        results.flatMap((r, i) =>
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
      msg.ack();
    } catch (err) {
      console.warn(`dispatch message ${msg.id} failed (attempt ${msg.attempts}): ${String(err)}`);
      msg.retry({ delaySeconds: retryDelay(msg.attempts) });
    }
  }
}

async function historyBatch(batch: MessageBatch<HistoryMessage>, env: Env): Promise<void> {
  let records: HistoryRecord[] = [];
  try {
    records = batch.messages.flatMap((m) => recordsOf(m.body));
    await writeHistory(env.DB, records);
    await touchProducts(env, records);
    batch.ackAll();
    return;
  } catch (err) {
    console.warn(`history batch of ${records.length} failed, retrying one by one: ${String(err)}`);
  }
  // One bad record must not hold the others back: settle each message on its own.
  for (const msg of batch.messages) {
    try {
      await writeHistory(env.DB, recordsOf(msg.body));
      msg.ack();
    } catch {
      msg.retry({ delaySeconds: retryDelay(msg.attempts) });
    }
  }
}

/** A malformed body yields no records, and so fails the per-message write → retry → dead letter. */
function recordsOf(body: HistoryMessage): HistoryRecord[] {
  if (body?.kind !== "history" || !Array.isArray(body.records)) throw new Error("malformed history message");
  return body.records;
}

async function touchProducts(env: Env, records: readonly HistoryRecord[]): Promise<void> {
  const now = Date.now();
  const ids = [...new Set(records.map((r) => r.productId))];
  if (ids.length === 0) return;
  const db = drizzle(env.DB);
  await db
    .insert(products)
    .values(ids.map((id) => ({ id, firstSeenAt: now, lastSeenAt: now })))
    .onConflictDoUpdate({ target: products.id, set: { lastSeenAt: sql`excluded.last_seen_at` } });
}

async function deadLetterBatch(batch: MessageBatch, env: Env): Promise<void> {
  const now = Date.now();
  await recordDeadLetters(
    env.DB,
    batch.messages.map((msg) => {
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
    }),
  );
  batch.ackAll();
}
