/**
 * @module worker/queues/messages
 * Message bodies on the dispatch queue. Every submission carries an
 * idempotency key (its own, the client's batch key and its index, or one
 * derived from its content), so a redelivered message creates nothing twice.
 * Sizes are UTF-8 bytes of the JSON the queue stores (messages are sent as
 * `contentType: "json"`, so that is exactly what the queue counts).
 */
import { z } from "zod";
import { utf8Text } from "../../core/bytes.ts";
import { chunkBySize, jsonSize, SEND_BATCH_LIMITS } from "../../core/chunks.ts";
import { ManifestInputSchema } from "../../core/manifest-schema.ts";
import { ProductId } from "../../shared/api.ts";
import type { SubmitInput } from "../../shared/coordinator-rpc.ts";

export interface DispatchMessage {
  kind: "submit";
  productId: string;
  actor: string;
  /** Where the items came from: `batch:<id>` or `tracker:<source>`. */
  origin: string;
  items: SubmitInput[];
}

const BATCH_ORIGIN = "batch:";

/** The origin of a bulk batch's messages: it names the batch whose items a refusal rejects (jobs/batches). */
export function batchOrigin(batchId: string): string {
  return `${BATCH_ORIGIN}${batchId}`;
}

/** The bulk batch a message came from (`batch:<id>`); undefined for any other origin (a tracker's). */
export function batchIdOf(origin: string): string | undefined {
  return origin.startsWith(BATCH_ORIGIN) ? origin.slice(BATCH_ORIGIN.length) : undefined;
}

/** Consumers re-validate: a queue is a boundary too (producers of older versions, poison). */
export const DispatchMessageSchema = z.object({
  kind: z.literal("submit"),
  productId: ProductId,
  actor: utf8Text(800, z.string().min(1)),
  origin: utf8Text(800, z.string().min(1)),
  items: z
    .array(z.object({ manifest: ManifestInputSchema, bodyMd: z.string() }))
    .min(1)
    .max(10_000),
});

/** A queue message is at most 128 KB (128,000 bytes): 100 KiB of JSON, envelope included, leaves headroom. */
export const MAX_MESSAGE_BYTES = 100 * 1024;
/** How every dispatch message is sent: as JSON, so the queue's size is our jsonBytes. */
export const SEND_OPTIONS = { contentType: "json" } as const;

type Envelope = Omit<DispatchMessage, "items">;

/** Bytes left for items in one message with this envelope; each item costs its JSON plus a comma. */
function itemBudget(base: Envelope): number {
  return MAX_MESSAGE_BYTES - jsonSize({ ...base, items: [] });
}

/** The most an item's JSON may weigh to travel at all: alone in a message (no comma), exactly MAX_MESSAGE_BYTES. */
export function maxItemBytes(base: Envelope): number {
  return itemBudget(base);
}

/** sendBatch takes at most 100 messages and 256 KB in all: group messages under both. */
export function sendBatches(
  messages: readonly DispatchMessage[],
): Array<Array<{ body: DispatchMessage; contentType: "json" }>> {
  return chunkBySize(messages, SEND_BATCH_LIMITS, jsonSize).map((group) =>
    group.map((body) => ({ body, ...SEND_OPTIONS })),
  );
}

/**
 * Split items into messages of at most MAX_MESSAGE_BYTES of JSON each, in order. An item over
 * `maxItemBytes` still gets a message of its own (the caller refuses it before; see chunks).
 */
export function chunkForQueue(base: Envelope, items: SubmitInput[]): DispatchMessage[] {
  return chunkBySize(items, { maxBytes: itemBudget(base) }, (item) => jsonSize(item) + 1).map((group) => ({
    ...base,
    items: group,
  }));
}
