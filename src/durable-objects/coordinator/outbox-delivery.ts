/**
 * @module durable-objects/coordinator/outbox-delivery
 * Ships the outbox: feed events to each job's JobFeed (grouped, one RPC per
 * job per batch, deduplicated there by outbox seq) and history records to the
 * history queue (→ D1). Records are acknowledged only after both destinations
 * took them; a failure leaves them for the next attempt, and every receiver is
 * idempotent, so a partial delivery followed by a retry is harmless.
 */
import { chunkBySize, jsonSize } from "../../core/chunks.ts";
import type { HistoryMessage, HistoryRecord } from "../../history/write.ts";
import type { FeedAppend } from "../job-feed.ts";
import { type OutboxRecord, peek } from "./outbox.ts";

/** Records per delivery round: one JobFeed call per job and ≤ a few queue batches. */
export const OUTBOX_BATCH = 200;
/** A queue message is at most 128 KB: pack records into messages under this. */
const MESSAGE_BYTES = 100 * 1024;
/** sendBatch takes at most 100 messages and 256 KB: stay under both. */
const QUEUE_BATCH_MESSAGES = 100;
const QUEUE_BATCH_BYTES = 200 * 1024;

export function feedName(productId: string, jobId: string): string {
  return `${productId}:${jobId}`;
}

export async function deliver(env: Env, productId: string, batch: OutboxRecord[]): Promise<void> {
  const events = new Map<string, FeedAppend[]>();
  const history: HistoryRecord[] = [];
  for (const r of batch) {
    if (r.kind === "event") {
      const { jobId, type, at, data } = r.body as {
        jobId: string;
        type: string;
        at: number;
        data: Record<string, unknown>;
      };
      const list = events.get(jobId) ?? [];
      list.push({ sourceSeq: r.seq, type, at, data });
      events.set(jobId, list);
    } else {
      history.push({ productId, seq: r.seq, kind: r.kind, body: r.body });
    }
  }
  await Promise.all([
    ...[...events].map(([jobId, list]) =>
      env.JOB_FEED.getByName(feedName(productId, jobId)).append(productId, jobId, list),
    ),
    sendHistory(env, productId, history),
  ]);
}

async function sendHistory(env: Env, productId: string, records: HistoryRecord[]): Promise<void> {
  const messages = chunkBySize(records, { maxBytes: MESSAGE_BYTES }, jsonSize).map(
    (group): HistoryMessage => ({ kind: "history", productId, records: group }),
  );
  const batches = chunkBySize(messages, { maxItems: QUEUE_BATCH_MESSAGES, maxBytes: QUEUE_BATCH_BYTES }, jsonSize);
  for (const batch of batches) await env.HISTORY_QUEUE.sendBatch(batch.map((body) => ({ body })));
}

export { peek };
