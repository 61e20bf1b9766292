/**
 * @module core/record-bounds
 * Every outbox record is bounded in UTF-8 bytes when it is created, so no record
 * can outgrow the message that must carry it: each kind has a byte budget, and a
 * body over it is cut down (long strings shortened, long lists reduced to their
 * newest items, at last whole sub-objects replaced by a marker) until it fits.
 * Also the bound on a job's own growing lists (its reviews). Pure.
 */
import { fitsUtf8, jsonBytes, truncateUtf8 } from "./bytes.ts";
import { chunkBySize } from "./chunks.ts";

/**
 * Byte budget per outbox record kind. A history queue message is packed to at
 * most 100 KiB (outbox/delivery), so every record fits one message with room to
 * spare; a feed event also travels in a WebSocket frame and an SSE line to every
 * watcher, so it is kept smaller still.
 */
export const RECORD_MAX_BYTES = {
  snapshot: 48 * 1024,
  run: 16 * 1024,
  audit: 16 * 1024,
  event: 32 * 1024,
  /** A lesson's text is ≤ 1 KiB (core/lessons); the rest is ids, scope and times. */
  lesson: 8 * 1024,
  // A webhook carries one alert or one stage change (no logs, no job document): 16 KiB is ample.
  webhook: 16 * 1024,
} as const;

export type BoundedKind = keyof typeof RECORD_MAX_BYTES;

/**
 * How many reviews a job keeps (newest last). A job's `reviews[]` grew by one per
 * review for ever, and every snapshot carries the job; at most 10 approvals are
 * ever needed in one review round (manifest `reviewers` ≤ 10) and a rejection
 * ends the round, so 50 keeps every review that can still count, with history.
 */
export const MAX_REVIEWS_KEPT = 50;

/** Appends `item` and keeps only the newest `max` items. */
export function appendBounded<T>(list: readonly T[] | undefined, item: T, max: number): T[] {
  const next = [...(list ?? []), item];
  return next.length > max ? next.slice(next.length - max) : next;
}

/**
 * A record whose `data.lines` (a batch of log lines) makes it larger than
 * `maxBytes` becomes several records, each with a run of consecutive lines and
 * the same other fields: a log is split, never cut. Any other record, or one
 * that fits, comes back alone.
 * @param maxBytes UTF-8 bytes per record; a single line larger than what is left is still cut by fitRecord
 * @returns one or more record bodies, in line order
 */
export function splitLines<T extends Record<string, unknown>>(body: T, maxBytes: number): T[] {
  const data = body.data as { lines?: unknown } | undefined;
  if (!Array.isArray(data?.lines) || jsonBytes(body) <= maxBytes) return [body];
  const shell = { ...body, data: { ...data, lines: [] } };
  // +1 per line for the comma between array items.
  const room = maxBytes - jsonBytes(shell);
  return chunkBySize(data.lines, { maxBytes: room }, (line) => jsonBytes(line) + 1).map((lines) => ({
    ...body,
    data: { ...data, lines },
  }));
}

/** Successively harsher cuts: [longest string in bytes, longest list in items]. */
const CUTS: ReadonlyArray<readonly [number, number]> = [
  [8192, 100],
  [2048, 20],
  [512, 5],
  [128, 1],
];

/**
 * The record body itself when it fits `maxBytes`, else a cut-down copy that
 * does, marked `truncated: {bytes}` (the original size) so a reader can tell.
 * Top-level scalars (ids, stage, seq, times) survive every cut but the last,
 * where strings are capped at 256 bytes: the record stays attributable.
 * @param maxBytes UTF-8 bytes of the JSON serialization; ≥ 1024
 * @returns a JSON-serializable object of at most `maxBytes` bytes
 */
export function fitRecord(body: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const bytes = jsonBytes(body);
  if (bytes <= maxBytes) return body;
  for (const [strBytes, listItems] of CUTS) {
    const cut = { ...(shrink(body, strBytes, listItems) as Record<string, unknown>), truncated: { bytes } };
    if (jsonBytes(cut) <= maxBytes) return cut;
  }
  // Last resort: keep the top-level scalars, replace every nested value by a marker.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === "string") out[k] = truncateUtf8(v, 256);
    else if (v === null || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else if (v !== undefined) out[k] = { truncated: true };
  }
  out.truncated = { bytes };
  return out;
}

/**
 * `fitRecord`'s result as the JSON text a writer stores: the body is serialized once, and its size is decided from
 * the text's length alone when it can be (core/bytes `fitsUtf8`), so a record well within its budget — nearly all
 * of them — costs one `JSON.stringify` and no byte count.
 * @returns JSON text of at most `maxBytes` UTF-8 bytes (or of the last-resort cut)
 */
export function fitRecordJson(body: Record<string, unknown>, maxBytes: number): string {
  const text = JSON.stringify(body);
  return fitsUtf8(text, maxBytes) ? text : JSON.stringify(fitRecord(body, maxBytes));
}

function shrink(value: unknown, strBytes: number, listItems: number): unknown {
  if (typeof value === "string") {
    const cut = truncateUtf8(value, strBytes);
    return cut.length === value.length ? value : `${cut}…`;
  }
  if (Array.isArray(value)) {
    // The newest entries (the end of a log or a review list) are the ones worth keeping.
    const kept = value.length > listItems ? value.slice(value.length - listItems) : value;
    return kept.map((v) => shrink(v, strBytes, listItems));
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrink(v, strBytes, listItems)]));
  }
  return value;
}
