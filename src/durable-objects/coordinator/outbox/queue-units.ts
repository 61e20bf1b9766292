/**
 * @module durable-objects/coordinator/outbox/queue-units
 * How a delivery round's due history and webhook records (outbox/round-plan) travel as queue messages: fresh ones
 * packed by bytes (history) or in `sendBatch` calls (webhooks), one that failed before alone — so a poison record
 * fails alone — and each send waited for within its bound (durable-objects/call-bound): unanswered, a refusal.
 */
import { chunkBySize, SEND_BATCH_LIMITS } from "../../../core/chunks.ts";
import type { HistoryMessage, HistoryRecord } from "../../../history/write.ts";
import type { WebhookMessage } from "../../../worker/queues/webhooks.ts";
import { answeredWithin, QUEUE_SEND_MS } from "../../call-bound.ts";
import type { DeliveryHost } from "./delivery.ts";
import type { HistoryOutboxRecord, OutboxRecord, WebhookRecord } from "./records.ts";

/** What Queues count of each message beyond its body, in a sendBatch's 256 KB (their limits page: ~100 bytes). */
const QUEUE_MESSAGE_METADATA_BYTES = 128;

/** Records that travel together in one queue message, and how to send it. */
export interface Unit {
  records: Array<HistoryOutboxRecord | WebhookRecord>;
  /** The queue it is sent to: whether a refusal blames its records depends on what else that queue took. */
  queue: "history" | "webhooks";
  send(): Promise<unknown>;
}

/**
 * The queue messages of a round's due `records` (history) and `webhooks`, in the order they are sent: fresh history
 * packed into messages of at most `historyMaxBytes` (UTF-8 bytes of the records, by `sizes`: seq → bytes measured by
 * outbox/round-plan), then each retried one alone; fresh webhooks in `sendBatch` chunks, then each retried one alone.
 */
export function queueUnits(
  host: Pick<DeliveryHost, "env" | "productId" | "sendMs">,
  records: HistoryOutboxRecord[],
  webhooks: WebhookRecord[],
  sizes: ReadonlyMap<number, number>,
  historyMaxBytes: number,
): Unit[] {
  const { env, productId } = host;
  // Fresh history records travel packed; a record that failed before travels alone, so a poison one fails alone.
  const sizeOf = (r: HistoryOutboxRecord) => (sizes.get(r.seq) ?? 0) + 1;
  const history: Unit[] = [
    ...chunkBySize(
      records.filter((r) => !failedBefore(r)),
      { maxBytes: historyMaxBytes },
      sizeOf,
    ),
    ...records.filter(failedBefore).map((r) => [r]),
  ].map((packed) => ({
    records: packed,
    queue: "history" as const,
    // JSON content: the size the queue counts is then exactly the UTF-8 bytes measured here.
    send: () => sent(host, env.HISTORY_QUEUE.send(message(productId, packed), { contentType: "json" })),
  }));
  // Webhooks are one message each, which the webhook queue retries each with its own backoff (worker/queues/webhooks);
  // a round's fresh ones go in `sendBatch` calls (core/chunks SEND_BATCH_LIMITS: a burst of alert and stage changes
  // was one queue call per delivery), and one that failed before goes alone, so a poison one fails alone.
  const hookSize = (r: WebhookRecord) => (sizes.get(r.seq) ?? 0) + QUEUE_MESSAGE_METADATA_BYTES;
  const hooks: Unit[] = [
    ...chunkBySize(
      webhooks.filter((r) => !failedBefore(r)),
      SEND_BATCH_LIMITS,
      hookSize,
    ),
    ...webhooks.filter(failedBefore).map((r) => [r]),
  ].map((group) => ({
    records: group,
    queue: "webhooks" as const,
    send: async () => {
      const [one, ...more] = group;
      if (more.length === 0) return sent(host, env.WEBHOOK_QUEUE.send(webhookMessage(one!), { contentType: "json" }));
      const batch = group.map((r) => ({ body: webhookMessage(r), contentType: "json" as const }));
      return sent(host, env.WEBHOOK_QUEUE.sendBatch(batch));
    },
  }));
  return [...history, ...hooks];
}

/** A queue's send waited for within `host.sendMs` (call-bound QUEUE_SEND_MS): unanswered then, it throws (a refusal). */
export function sent(host: Pick<DeliveryHost, "sendMs">, call: Promise<unknown>): Promise<unknown> {
  return answeredWithin(call, host.sendMs ?? QUEUE_SEND_MS, "queue send");
}

export function message(productId: string, records: HistoryOutboxRecord[]): HistoryMessage {
  return { kind: "history", productId, records: records.flatMap((r) => toHistory(productId, r)) };
}

/** A record whose delivery failed before: it travels alone (a poison one then fails alone). */
function failedBefore(r: OutboxRecord): boolean {
  return r.attempts > 0 || r.failedAt !== undefined;
}

function webhookMessage(r: WebhookRecord): WebhookMessage {
  return { kind: "webhook", productId: r.body.productId, body: r.body };
}

/** A row's records as D1 history takes them: a unit's group (outbox/history-groups) is one record per part. */
function toHistory(productId: string, r: HistoryOutboxRecord): HistoryRecord[] {
  if (r.kind !== "history") return [{ productId, seq: r.seq, kind: r.kind, body: r.body }];
  return r.body.map((e, part) => ({ productId, seq: r.seq, part, kind: e.kind, body: e.body }));
}
