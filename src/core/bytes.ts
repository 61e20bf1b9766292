/**
 * @module core/bytes
 * The one place sizes are measured: every limit in Gigafactory is in bytes of
 * UTF-8 (what Queues, RPC, WebSocket frames and HTTP bodies count), never in
 * UTF-16 code units (what `string.length` counts — "漢" is 1 unit but 3 bytes,
 * an emoji 2 units but 4 bytes). Pure; no allocation for the length itself.
 */
import { z } from "zod";

/**
 * UTF-8 byte length of a string, counted without encoding it.
 * A lone surrogate counts 3 bytes: what `TextEncoder` writes for it (U+FFFD).
 * @returns bytes (integer ≥ 0)
 */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Whether `s` fits in `maxBytes` of UTF-8. Decided from the length alone when it
 * can be (a UTF-16 unit is 1 to 3 bytes), so a huge string is refused at once.
 */
export function fitsUtf8(s: string, maxBytes: number): boolean {
  if (s.length > maxBytes) return false;
  if (s.length * 3 <= maxBytes) return true;
  return utf8Bytes(s) <= maxBytes;
}

/**
 * UTF-8 byte length of a value's JSON serialization — the measure every queue
 * message, RPC payload and WebSocket frame limit uses.
 * @returns bytes; 0 for `undefined` (JSON.stringify gives nothing)
 */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Bytes(text);
}

/**
 * The longest prefix of `s` that fits in `maxBytes` of UTF-8 and ends on a
 * code-point boundary (never half a surrogate pair).
 * @returns a prefix of `s` (possibly `s` itself, possibly "")
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1));
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (n + size > maxBytes) return s.slice(0, i);
    n += size;
    if (pair) i++;
  }
  return s;
}

/**
 * How much of the caller's input an error may echo back: at most ISSUES_ECHOED issues, each path and message at most
 * ISSUE_TEXT_BYTES of UTF-8. Without a bound, an unknown 100 KB key came back whole in the problem's detail and again
 * in its issues, and 50,000 bad array items (a 250 KB body) came back as 4 MB of issues: error replies that amplify
 * their request, and logs and frames that carry it (worker/problem `fromZod`, core/manifest, factory frames).
 */
export const ISSUES_ECHOED = 20;
export const ISSUE_TEXT_BYTES = 256;

/**
 * `s` cut to `maxBytes` of UTF-8 on a code-point boundary, with "…" after a cut (so at most `maxBytes` + 3 bytes).
 * @returns `s` itself when it fits
 */
export function clipUtf8(s: string, maxBytes = ISSUE_TEXT_BYTES): string {
  const cut = truncateUtf8(s, maxBytes);
  return cut.length === s.length ? s : `${cut}…`;
}

/**
 * Splits a string into pieces of at most `maxBytes` UTF-8 bytes each, cut only
 * on code-point boundaries (an emoji is never split in half).
 * @param maxBytes ≥ 4 (one code point always fits)
 * @returns at least one piece ("" for an empty string)
 * @throws RangeError when maxBytes < 4
 */
export function splitUtf8(s: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError(`maxBytes must be at least 4, got ${maxBytes}`);
  if (s === "") return [""];
  const out: string[] = [];
  let rest = s;
  while (rest.length > 0) {
    const piece = truncateUtf8(rest, maxBytes);
    out.push(piece);
    rest = rest.slice(piece.length);
  }
  return out;
}

const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (UTF-16 code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * `s` with each lone surrogate replaced by U+FFFD, as a UTF-8 encoder would write it (`String.prototype.toWellFormed`,
 * ES2024, is past this build's ES2023 lib): for text read out of another program's JSON, whose `"\ud800"` escape
 * `JSON.parse` turns into a lone surrogate that every boundary here refuses (`hasLoneSurrogate`).
 */
export function wellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(new RegExp(LONE_SURROGATE.source, "g"), "\uFFFD") : s;
}

/**
 * Whether a parsed JSON value holds a string, or an object key, that is not well-formed Unicode: a lone surrogate.
 * JSON can spell one (`"\ud800"`), but UTF-8 cannot store it: every encoder, D1 included, writes U+FFFD in its
 * place, so the value would change on its way to storage, and the stores would disagree. Bodies and frames with
 * one are refused at the boundary (worker/validate, shared/protocol-factory-frames). Walks iteratively, so a
 * deeply nested value cannot overflow the stack.
 * @param value what `JSON.parse` returned
 */
export function hasLoneSurrogate(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (typeof v === "object" && v !== null) {
      for (const [k, item] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/**
 * Whether `value`, parsed from the JSON `text`, holds a lone surrogate (`hasLoneSurrogate`): the one check every
 * boundary that parses JSON makes. Only a `\u` escape can spell one, since text decoded from UTF-8 (HTTP bodies with
 * a fatal decoder, WebSocket text frames) is well formed, so a text without one skips the walk.
 */
export function parsedHoldsLoneSurrogate(text: string, value: unknown): boolean {
  return text.includes("\\u") && hasLoneSurrogate(value);
}

/**
 * A zod string of at most `maxBytes` bytes of UTF-8: the one way a text limit is written at the boundary. zod's own
 * `.max` counts UTF-16 units ("漢" is 1 unit and 3 bytes, an emoji 2 and 4), so it alone would let a field hold three
 * times its stated size. `base` carries the field's other rules (`.trim()`, `.min(1)`, an error message).
 * @param maxBytes the limit, bytes of UTF-8
 */
export function utf8Text(maxBytes: number, base: z.ZodString = z.string()) {
  const message = `at most ${maxBytes} bytes of UTF-8`;
  // A unit is at least one byte, so `.max` is a cheap first cut; the byte count decides.
  // The description carries the real bound into the OpenAPI document, whose maxLength counts characters.
  return base
    .max(maxBytes, { message, abort: true })
    .refine((s) => fitsUtf8(s, maxBytes), message)
    .describe(message);
}
