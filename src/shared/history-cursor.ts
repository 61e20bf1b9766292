/**
 * @module shared/history-cursor
 * The keyset cursor of `GET …/history`. Each kind of history is read in the order of a key unique per product —
 * snapshots (at, jobId, rev), runs (startedAt, id), audit entries (at, seq, part) — and a page's `nextCursor` is the key of
 * its last row, so the next page starts strictly after it: no row twice, none skipped, however many share a
 * millisecond (an inclusive `since` could do neither). D1 serves the order and the seek from an index per kind
 * (history/schema, migrations/0004_history_keyset.sql, 0005_audit_seq.sql).
 *
 * On the wire a cursor is opaque: base64url (no padding) of the JSON of {k: kind, at, …tie-break}. It comes back
 * through `HistoryCursor` (zod): anything that does not decode to a key of this shape is a `400 validation_failed`.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";

/** The kinds of D1 history `…/history` reads. */
export const HISTORY_KINDS = ["snapshots", "runs", "audit"] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

const at = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Row ids and job ids as D1 holds them (`<product>:<job>:<rev>` and the like): bounded, never empty. */
const key = utf8Text(256, z.string().min(1));

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const auditKey = z.object({ k: z.literal("audit"), at, seq: count, part: count }).strict();
/** An audit row's id (history/rows): `<product>:<seq>`, or `<product>:<seq>.<part>` for a part of a group. */
const AUDIT_ID = /^[a-z0-9][a-z0-9-]{0,62}:(\d{1,15})(?:\.(\d{1,15}))?$/;
/**
 * An audit cursor issued before migration 0005 keyed audit by (at, id): still taken, read as the position of the row
 * it names — its seq and part are in its id — so a follower's saved place survives the change. Within the cursor's
 * millisecond the old order was the id's text, so a follower that read part of that millisecond under the old order
 * may see a row of it once more or miss one; every other row comes exactly once.
 */
const legacyAuditKey = z
  .object({ k: z.literal("audit"), at, id: key.regex(AUDIT_ID, "an audit row id") })
  .strict()
  .transform(({ at, id }) => {
    const [, seq, part] = AUDIT_ID.exec(id) ?? [];
    return { k: "audit" as const, at, seq: Number(seq), part: Number(part ?? 0) };
  });

/** A position in one kind's order: the key of the last row a page returned. */
export const HistoryKey = z.union([
  z.object({ k: z.literal("snapshots"), at, job: key, rev: z.number().int().min(0) }).strict(),
  z.object({ k: z.literal("runs"), at, id: key }).strict(),
  auditKey,
  legacyAuditKey,
]);
export type HistoryKey = z.infer<typeof HistoryKey>;

/** The cursor as it travels: base64url text (well within the 1 KiB `HistoryCursor` takes back). */
export function encodeHistoryCursor(k: HistoryKey): string {
  const bytes = new TextEncoder().encode(JSON.stringify(k));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url → its JSON value; undefined when it is not base64url of UTF-8 JSON. */
function decode(text: string): unknown {
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

const NOT_OURS = "must be a nextCursor from an earlier page of this kind";

/** The `cursor` query parameter: a cursor this API issued, decoded to its key. */
export const HistoryCursor = utf8Text(1024, z.string().regex(/^[A-Za-z0-9_-]{1,1024}$/, NOT_OURS))
  .transform((text) => decode(text))
  .pipe(z.unknown().refine((v) => HistoryKey.safeParse(v).success, NOT_OURS))
  .transform((v) => HistoryKey.parse(v));
