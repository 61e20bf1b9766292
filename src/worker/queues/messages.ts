/**
 * @module worker/queues/messages
 * Message bodies on the dispatch queue. Every submission carries an
 * idempotency key (its own, or one derived from the batch and its index), so a
 * redelivered message creates nothing twice.
 */
import { z } from "zod";
import { chunkBySize, jsonSize } from "../../core/chunks.ts";
import { ManifestInputSchema } from "../../core/manifest.ts";
import type { SubmitInput } from "../../durable-objects/coordinator/submit.ts";
import { ProductId } from "../../shared/api.ts";

export interface DispatchMessage {
  kind: "submit";
  productId: string;
  actor: string;
  /** Where the items came from: `batch:<id>` or `tracker:<source>`. */
  origin: string;
  items: SubmitInput[];
}

/** Consumers re-validate: a queue is a boundary too (producers of older versions, poison). */
export const DispatchMessageSchema = z.object({
  kind: z.literal("submit"),
  productId: ProductId,
  actor: z.string().min(1).max(200),
  origin: z.string().min(1).max(200),
  items: z
    .array(z.object({ manifest: ManifestInputSchema, bodyMd: z.string() }))
    .min(1)
    .max(10_000),
});

/** A queue message is at most 128 KB; leave room for the envelope. */
export const MAX_MESSAGE_BYTES = 100 * 1024;

/** sendBatch takes at most 100 messages and 256 KB in all: group messages under both. */
export function sendBatches(messages: readonly DispatchMessage[]): Array<Array<{ body: DispatchMessage }>> {
  return chunkBySize(messages, { maxItems: 100, maxBytes: 200 * 1024 }, jsonSize).map((group) =>
    group.map((body) => ({ body })),
  );
}

/** Split items into messages under the size limit, in order. */
export function chunkForQueue(base: Omit<DispatchMessage, "items">, items: SubmitInput[]): DispatchMessage[] {
  return chunkBySize(items, { maxBytes: MAX_MESSAGE_BYTES }, jsonSize).map((group) => ({ ...base, items: group }));
}
