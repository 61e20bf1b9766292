/**
 * @module core/chunks
 * Splits a list into consecutive chunks that respect both a count and a byte
 * budget — the shape of every queue limit we meet (per message, per sendBatch).
 * An item larger than the budget on its own still gets a chunk of its own:
 * refusing it is the caller's decision, not the splitter's.
 */
export function chunkBySize<T>(
  items: readonly T[],
  limits: { maxItems?: number; maxBytes: number },
  sizeOf: (item: T) => number,
): T[][] {
  const maxItems = limits.maxItems ?? Number.POSITIVE_INFINITY;
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + size > limits.maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * One `sendBatch` call: Cloudflare Queues take at most 100 messages and 256 KB (256,000 bytes, ~100 bytes of
 * internal metadata per message counted) in all — 200 KiB of JSON leaves that headroom.
 */
export const SEND_BATCH_LIMITS = { maxItems: 100, maxBytes: 200 * 1024 } as const;

/** Serialized size in UTF-8 bytes, the measure queue limits use (see core/bytes). */
export { jsonBytes as jsonSize } from "./bytes.ts";
