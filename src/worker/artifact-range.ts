/**
 * @module worker/artifact-range
 * Byte ranges of an artifact download (RFC 9110 §14), so a cut download resumes where it broke instead of starting
 * again from byte 0: the `Range` and `If-Range` request headers read through zod, and the pure decision of what a GET
 * answers — the whole artifact (200), one part of it (206) or nothing (416).
 *
 * Only one range is served. A header naming several is answered whole (200), as RFC 9110 §14.2 allows: the only
 * other answer is a multipart/byteranges body, whose own Content-Type would replace the one worker/artifact-headers
 * chose (text shown as text/plain, anything else an attachment) and so undo how an artifact is kept from running in
 * a browser — and no client this API serves (the CLI, curl -C -, a browser resuming) asks for more than one.
 *
 * A malformed Range (another unit, no `=`, `5-2`, letters, more than RANGE_MAX_BYTES) is ignored (§14.2: "MAY
 * ignore"), never a 400: a client that sent it still gets the bytes, whole. An If-Range that is not the artifact's
 * own ETag, exactly (a weak tag, a date — no Last-Modified is sent, so none matches — another version's digest), also
 * means the whole artifact (§13.1.5): a resumed download then starts again rather than splice two versions' bytes.
 */
import { z } from "zod";
import { fitsUtf8, utf8Text } from "../core/bytes.ts";

/** 1 KiB: one range is at most ~45 bytes (`bytes=` and two 19-digit numbers); a longer header is not one to serve. */
export const RANGE_MAX_BYTES = 1024;

/**
 * A Range header as read: `none` (absent, malformed, another unit, too long: ignored), `several` (answered whole),
 * `span` (`bytes=first-` or `bytes=first-last`, positions in bytes from 0, `last` inclusive) or `suffix` (`bytes=-n`:
 * the last n bytes). Positions past 2^53 read as Infinity or are rounded: they only compare past an artifact's end.
 */
export type RangeAsked =
  | { kind: "none" }
  | { kind: "several" }
  | { kind: "span"; first: number; last?: number }
  | { kind: "suffix"; length: number };

const SPAN = /^(\d+)-(\d*)$/;
const SUFFIX = /^-(\d+)$/;
const NONE: RangeAsked = { kind: "none" };

/** One range-spec (RFC 9110 §14.1.1) as read, or undefined when it is not one (the whole header is then ignored). */
function spec(text: string): RangeAsked | undefined {
  const suffix = SUFFIX.exec(text);
  if (suffix) return { kind: "suffix", length: Number(suffix[1]) };
  const span = SPAN.exec(text);
  if (!span) return undefined;
  const [first, last] = [span[1]!, span[2]!];
  // Compared exactly (BigInt): `last < first` makes the spec invalid, whatever the digits' size.
  if (last !== "" && BigInt(last) < BigInt(first)) return undefined;
  return { kind: "span", first: Number(first), ...(last === "" ? {} : { last: Number(last) }) };
}

/** `Range: bytes=…` read (the unit case-insensitively, optional whitespace around each comma); never throws. */
export function readRange(value: string): RangeAsked {
  if (!fitsUtf8(value, RANGE_MAX_BYTES)) return NONE;
  const eq = value.indexOf("=");
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== "bytes") return NONE;
  // Empty list elements are allowed and skipped (RFC 9110 §5.6.1); at least one spec is required.
  const texts = value
    .slice(eq + 1)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const specs = texts.map(spec);
  if (specs.length === 0 || specs.some((s) => s === undefined)) return NONE;
  return specs.length > 1 ? { kind: "several" } : specs[0]!;
}

/** The `Range` request header of an artifact download: any text (what it cannot be read as is ignored, not refused). */
export const RangeHeader = z
  .string()
  .describe(
    `One byte range (RFC 9110 §14.1.1): \`bytes=first-last\`, \`bytes=first-\` or \`bytes=-suffixLength\`; several ` +
      `ranges, another unit or a malformed value (or one over ${RANGE_MAX_BYTES} bytes) is ignored: the whole artifact`,
  )
  .transform(readRange);

/**
 * 1 KiB: an ETag of ours is 66 bytes (a quoted sha256) and an HTTP-date 29; past this a header is neither. Bounded
 * as every header the Worker reads is (core/bytes `utf8Text`): it is only compared, but unbounded it was trimmed and
 * compared at whatever size the runtime let through.
 */
export const IF_RANGE_MAX_BYTES = 1024;

/**
 * The `If-Range` request header: the ETag the client's partial bytes came with; compared exactly (strong).
 * Refused (400 naming If-Range) over IF_RANGE_MAX_BYTES bytes of UTF-8, as If-None-Match is over its limit.
 */
export const IfRangeHeader = utf8Text(IF_RANGE_MAX_BYTES)
  .describe(
    "The ETag the bytes already held came with: the Range is served only when it is this artifact's ETag, exactly; " +
      "otherwise (another version, a weak tag, a date) the whole artifact, 200; " +
      `at most ${IF_RANGE_MAX_BYTES} bytes of UTF-8 (400 past it)`,
  )
  .transform((s) => s.trim());

/** What a GET of an artifact answers: the whole (200), bytes `offset`…`offset + length - 1` (206), or none (416). */
export type RangePlan =
  | { kind: "whole" }
  | { kind: "part"; offset: number; length: number }
  | { kind: "unsatisfiable" };

const WHOLE: RangePlan = { kind: "whole" };

/**
 * The answer to `asked` of an artifact of `size` bytes whose ETag is `etag` (its quoted sha256), given the If-Range
 * `ifRange` (RFC 9110 §13.2.2 step 5, §14.1.2–3): the whole artifact when no single range is asked or If-Range names
 * another validator; 416 when the range selects no byte (a first position at or past the end, a suffix of 0, any
 * range of an empty artifact); otherwise the part, its last position cut to the end.
 */
export function planRange(
  size: number,
  etag: string,
  asked: RangeAsked | undefined,
  ifRange: string | undefined,
): RangePlan {
  if (asked === undefined || asked.kind === "none" || asked.kind === "several") return WHOLE;
  if (ifRange !== undefined && ifRange !== etag) return WHOLE;
  if (asked.kind === "suffix") {
    if (asked.length === 0 || size === 0) return { kind: "unsatisfiable" };
    const offset = Math.max(0, size - asked.length);
    return { kind: "part", offset, length: size - offset };
  }
  if (asked.first >= size) return { kind: "unsatisfiable" };
  const last = Math.min(asked.last ?? size - 1, size - 1);
  return { kind: "part", offset: asked.first, length: last - asked.first + 1 };
}

/** The Content-Range of a 206 (`bytes first-last/size`) or, for a 416, `bytes *\/size` (RFC 9110 §14.4). */
export function contentRange(plan: RangePlan, size: number): string {
  return plan.kind === "part" ? `bytes ${plan.offset}-${plan.offset + plan.length - 1}/${size}` : `bytes */${size}`;
}
