/**
 * @module shared/history-cursor
 * The keyset cursors of `GET …/history`. Rows reach D1 out of event-time order (a retried queue message lands after
 * later ones, a dead letter is delivered again, a run row changes when the run ends), so a reader has two orders:
 * - BROWSE, in time order: each kind by a key unique per product — snapshots (at, jobId, rev), runs (startedAt, id),
 *   audit entries (at, seq, part) — over what D1 held when the browse began: rows with an `ingestSeq` up to the
 *   cursor's `w`. Every such row once, however many share a millisecond; a row that reaches D1 (or changes) later is
 *   left to the follower.
 * - FOLLOW, in the order rows reached D1: by (ingestSeq, then the time key), strictly after the cursor's `s`. A row
 *   that lands late, or changes later (a run's end), comes once more, as it is then; one that does not change never
 *   comes again (history/write gives a redelivery that changes nothing no new number).
 * A browse's last page (`more` false) hands over a follow cursor at its `w`: browsing and then following sees every
 * row, and every later change of a row, exactly once. D1 serves each order and seek from an index per kind
 * (history/schema, migrations 0004–0006).
 *
 * On the wire a cursor is opaque: base64url (no padding) of the JSON of the key. It comes back through
 * `HistoryCursor` (zod): anything that does not decode to a key of these shapes is a `400 validation_failed`.
 * Cursors issued before migration 0006 (a browse key without `w`) are taken: the browse goes on over what D1 holds
 * when that page is read.
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
/** Each kind's time key: the fields of its last row that a page of it continues after. */
const TIME = {
  snapshots: { at, job: key, rev: count },
  runs: { at, id: key },
  audit: { at, seq: count, part: count },
};
/** A browse's snapshot: the highest `ingestSeq` it reads (absent in a cursor issued before migration 0006). */
const w = count.optional();

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
    return { k: "audit" as const, at, seq: Number(seq), part: Number(part ?? 0), w: undefined };
  });

/**
 * A follow position: `s`, the last `ingestSeq` read, and `t`, the time key of the last row read when the page ended
 * within that batch's rows — absent when the position is past all of them (a browse's hand-over).
 */
const follow = <K extends HistoryKind>(k: K) =>
  z.object({ k: z.literal(k), s: count, t: z.object(TIME[k]).strict().optional() }).strict();

/** A position in one kind's order: in time order (a browse: the time key, `w`) or arrival order (a follow: `s`). */
export const HistoryKey = z.union([
  z.object({ k: z.literal("snapshots"), ...TIME.snapshots, w }).strict(),
  z.object({ k: z.literal("runs"), ...TIME.runs, w }).strict(),
  z.object({ k: z.literal("audit"), ...TIME.audit, w }).strict(),
  legacyAuditKey,
  follow("snapshots"),
  follow("runs"),
  follow("audit"),
]);
export type HistoryKey = z.infer<typeof HistoryKey>;

/** The cursor as it travels: base64url text (well within the 1 KiB `HistoryCursor` takes back). */
export function encodeHistoryCursor(k: HistoryKey): string {
  return encodeCursorJson(k);
}

/** Any list's opaque cursor (…/history, …/dead-letters): base64url, no padding, of the JSON of `key`. */
export function encodeCursorJson(key: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url → its JSON value; undefined when it is not base64url of UTF-8 JSON (`encodeCursorJson` undone). */
export function decodeCursorJson(text: string): unknown {
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
  .transform((text) => decodeCursorJson(text))
  .pipe(z.unknown().refine((v) => HistoryKey.safeParse(v).success, NOT_OURS))
  .transform((v) => HistoryKey.parse(v));
