/**
 * @module worker/body-charset
 * A request body the Worker reads as text (JSON, a manifest as markdown) is decoded as UTF-8 whatever its Content-Type
 * says: `application/json; charset=latin1` was taken, and its `é` (one byte, 0xE9) refused as "not valid UTF-8" — or,
 * where the Latin-1 bytes happened to spell UTF-8, stored as other characters than the sender meant. JSON is UTF-8
 * (RFC 8259 §8.1), so a body that declares another charset is refused 415 naming it, before a byte is read. An
 * artifact's upload is not text to the Worker (its bytes are kept as sent, its Content-Type with them): not checked.
 */
import { clipUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";
import { isUtf8Label } from "../shared/utf8-labels.ts";

/**
 * The parameters of a media type (`type/subtype; name=value; name="quoted \" value"`), names lowercased, values as
 * sent with a quoted string's quotes and `\` escapes taken off (RFC 9110 §5.6.6). A parameter with no `=` is skipped.
 * Linear in the header's length (bounded at 1 KiB before any route reads it: worker/header-limits).
 */
export function mediaTypeParams(value: string): Array<[name: string, value: string]> {
  const out: Array<[string, string]> = [];
  let at = value.indexOf(";");
  while (at >= 0) {
    const start = at + 1;
    const eq = value.indexOf("=", start);
    const semi = value.indexOf(";", start);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      at = semi;
      continue;
    }
    const name = value.slice(start, eq).trim().toLowerCase();
    let i = eq + 1;
    while (value[i] === " " || value[i] === "\t") i++;
    if (value[i] !== '"') {
      out.push([name, (semi < 0 ? value.slice(i) : value.slice(i, semi)).trim()]);
      at = semi;
      continue;
    }
    let text = "";
    for (i++; i < value.length && value[i] !== '"'; i++) {
      if (value[i] === "\\") i++;
      text += value[i] ?? "";
    }
    out.push([name, text]);
    at = value.indexOf(";", i);
  }
  return out;
}

/** What the OpenAPI document's `info.description` says of it, once for every operation. */
export const BODY_CHARSET_TEXT =
  "A request body read as JSON or markdown is UTF-8: one whose `Content-Type` names another charset " +
  "(`application/json; charset=latin1`) is 415 `unsupported_media_type` naming it, nothing done.";

/**
 * Refuses a body whose Content-Type names a charset other than UTF-8 (`utf-8`, `utf8` or another of its labels:
 * shared/utf8-labels, in any case, quoted or not); no
 * charset, or no Content-Type, is UTF-8.
 * @param contentType - the request's Content-Type header, undefined or null when absent
 * @throws DomainError unsupported_media_type (415) naming the charset (its first ISSUE_TEXT_BYTES)
 */
export function assertUtf8Charset(contentType: string | null | undefined): void {
  if (!contentType) return;
  for (const [name, value] of mediaTypeParams(contentType)) {
    if (name !== "charset" || isUtf8Label(value)) continue;
    // `charset=` with nothing after it names no charset at all: "charset "" is not taken" read as a riddle.
    if (value.trim() === "") {
      throw new DomainError(
        "unsupported_media_type",
        "the Content-Type's charset= names no charset: a request body is read as UTF-8; send charset=utf-8 or no charset",
      );
    }
    throw new DomainError(
      "unsupported_media_type",
      `charset "${clipUtf8(value)}" is not taken: a request body is read as UTF-8 (JSON is UTF-8, RFC 8259 §8.1); send it as UTF-8, with charset=utf-8 or no charset`,
    );
  }
}
