/**
 * @module worker/queues/redrive
 * What a dead letter's redrive sends, and where (`POST …/dead-letters/{id}/redrive`, worker/routes/dead-letter-redrive):
 * its original message, back on the queue it came from, re-validated here as its consumer will (a queue is a
 * boundary, and a message bound for another product would write into that product: its history, its webhook, its
 * jobs). What is sent is the body as kept, never the parse of it (which adds the manifest's defaults): its consumer
 * parses it as it did the first delivery, so the redelivery is that same message. Pure: the route reads, sends, deletes.
 *
 * Why each redrive is safe to repeat (a redrive is at least once: one whose answer was lost may be sent again):
 * - `queue:history` — D1 history writes are idempotent by ids derived from (product, outbox seq, part): snapshots
 *   and audit rows are insert-or-ignore, runs an upsert that never undoes an ended run, lessons newest-wins
 *   (history/write). A record kept on its own (`<msg>:<i>`, the consumer refused only it) goes back wrapped in a
 *   message of one record.
 * - `queue:webhook` — the same body, so the same `deliveryId` (header and body) a receiver dedupes by; signed afresh
 *   at send with the webhook's current secret (worker/queues/webhooks), and ordered by its `seq` as any retry.
 * - `queue:submit` (the dead-letter queue names a dispatch message by its kind) and `queue:dispatch` (one its consumer
 *   could not read) — every item carries an idempotency key, and a key creates one job (coordinator/jobs/submit):
 *   an item whose key a job holds already answers with that job. One without a key is refused: it could run twice.
 *   So is one dead-lettered longer ago than a key dedupes, less a day (`keysStillDedupe`): retention forgets a key
 *   7 days after its job was made (core/retention), and the job a key made — on a delivery whose answer was lost, or
 *   by the client sending the item again after the dead letter — was made a second time, its agent run paid twice.
 *
 * Refused with `dead_letter_not_redrivable` (kept, 409):
 * - `outbox:*` — a record the coordinator gave up on. Its identity downstream is its outbox seq (a job feed dedupes
 *   events by it, D1 keys history rows by it, a webhook body orders by it): put back under a new seq, a record that
 *   half-landed before would land twice as a different record; under its old seq, it would re-enter a sequence its
 *   readers (feed cursors, webhook receivers' "last seq applied") have moved past, and be dropped or misordered.
 * - `batch:*` / `tracker:*` — an item the coordinator itself refused (an unknown dependency, a key conflict): the
 *   same item meets the same refusal; fix it and submit it again.
 * - any other source (`queue:unknown`: a dead-letter-queue message of no kind this Worker sends): no queue takes it.
 */
import { DomainError } from "../../core/errors.ts";
import { DEFAULT_RETENTION, retentionCutoffs } from "../../core/retention.ts";
import { shellWord } from "../../core/waiting-commands.ts";
import { Envelope, HistoryMessageSchema, RecordSchema } from "./history.ts";
import { DispatchMessageSchema } from "./messages.ts";
import { WebhookMessageSchema } from "./webhooks.ts";

/** The queue a redriven message goes to (the `Env` binding `<NAME>_QUEUE`). */
export type RedriveQueue = "history" | "webhook" | "dispatch";

export interface Redrive {
  queue: RedriveQueue;
  message: unknown;
}

const malformed = (id: string, why: string) =>
  new DomainError(
    "dead_letter_malformed",
    `dead letter ${id} cannot be redriven: ${why}; it is kept — look at its body (gigafactory dead-letters show ${shellWord(id, "ID")})`,
    { id },
  );

const notRedrivable = (id: string, source: string, why: string) =>
  new DomainError("dead_letter_not_redrivable", `dead letter ${id} (${source}) cannot be redriven: ${why}`, {
    id,
    source,
  });

/** The body a store keeps as JSON text, parsed; a text that is not JSON is malformed. */
export function parseBody(id: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(id, "its body is not JSON");
  }
}

/**
 * The message to send again for dead letter `id` of `productId`, and its queue.
 * @throws DomainError `dead_letter_malformed` (its body is not a message its source sends, or is another product's),
 *   `dead_letter_not_redrivable` (its source is one no queue takes back safely; see the module's header)
 */
export function redriveOf(productId: string, id: string, source: string, body: unknown): Redrive {
  const ours = (p: string) => {
    if (p !== productId) throw malformed(id, `its message is of product ${p}, not ${productId}`);
  };
  if (source === "queue:history") {
    const m = HistoryMessageSchema.safeParse(body);
    if (m.success) {
      ours(m.data.productId);
      return { queue: "history", message: body };
    }
    // One record the consumer kept on its own: checked as the consumer checks a record, then sent as a message.
    const env = Envelope.safeParse(body);
    const rec = RecordSchema.safeParse(body);
    if (!env.success || !rec.success) throw malformed(id, "its body is neither a history message nor a record");
    ours(env.data.productId);
    return { queue: "history", message: { kind: "history", productId, records: [body] } };
  }
  if (source === "queue:webhook") {
    const m = WebhookMessageSchema.safeParse(body);
    if (!m.success) throw malformed(id, "its body is not a webhook message");
    ours(m.data.productId);
    const inner = m.data.body.productId;
    if (inner !== undefined) ours(String(inner));
    return { queue: "webhook", message: body };
  }
  if (source === "queue:submit" || source === "queue:dispatch") {
    const m = DispatchMessageSchema.safeParse(body);
    if (!m.success) throw malformed(id, "its body is not a dispatch message");
    ours(m.data.productId);
    if (m.data.items.some((item) => item.manifest.idempotencyKey === undefined))
      throw notRedrivable(id, source, "an item has no idempotency key, so a second delivery could make a second job");
    return { queue: "dispatch", message: body };
  }
  if (source.startsWith("outbox:"))
    throw notRedrivable(
      id,
      source,
      "an outbox record is known downstream by its outbox seq, which a redrive cannot keep or reuse safely; " +
        "its content is in the dead letter's body",
    );
  if (source.startsWith("batch:") || source.startsWith("tracker:"))
    throw notRedrivable(id, source, "the coordinator refused this item itself; fix it and submit it again");
  throw notRedrivable(id, source, "no queue takes a message of this kind back");
}

/**
 * How long before a key's retention cut-off a dispatch dead letter stops being redrivable (ms): a job its message
 * made was made at most minutes before the dead letter (its deliveries' backoff; the dead-letter queue's own retries,
 * ~100 min at most, when D1 and the coordinator were both down), or after it (the client sent the item again).
 */
export const KEY_MARGIN_MS = 86_400_000;

/**
 * Whether dead letter `id` (`source`, kept at `at`, ms) may still go back to the dispatch queue at `now` (ms): only
 * while every key a job of its message can hold still dedupes — under DEFAULT_RETENTION, every product's policy
 * while core/retention has no settings endpoint (one would pass the product's here). Other sources pass.
 * @throws DomainError `dead_letter_not_redrivable` (409) once its keys may be forgotten (see the module's header)
 */
export function keysStillDedupe(id: string, source: string, at: number, now: number): void {
  if (source !== "queue:submit" && source !== "queue:dispatch") return;
  if (at - KEY_MARGIN_MS >= retentionCutoffs(now).keysCreatedBefore) return;
  throw notRedrivable(
    id,
    source,
    `it was dead-lettered ${Math.floor((now - at) / 86_400_000)} days ago, and an idempotency key dedupes for ` +
      `${DEFAULT_RETENTION.idempotencyKeyDays} days: a job one of its items made may no longer be found by its key and ` +
      "would be made twice; check `gigafactory jobs`, and submit again the items that have no job",
  );
}
