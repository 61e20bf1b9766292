/**
 * @module shared/foreign-answer
 * An HTTP answer the coordinator cannot have written, said in one line instead of echoed: a wrong `--url` that names a
 * web server answered its HTML 404 page, and the CLI printed `✘ ERROR http_404: <html><head><title>404 Not Found…`
 * (200 characters of markup, the agent's upload and connect failures alike). The coordinator answers JSON, in UTF-8
 * (RFC 8259 §8.1), always: anything else is said as its status, its media type, its size and a short cut of its text
 * with the markup taken out. Shared by the REST client (shared/http-transport `apiErrorOf`, shared/http-client-base)
 * and the agent's refused upgrade (agent/close-codes `refusalVerdict`). Pure.
 */
import { counted } from "../core/counted.ts";
import { isUtf8Label } from "./utf8-labels.ts";

/** How much of the text a cut shows, in characters: enough to read a page's title or a proxy's one sentence. */
const SNIPPET_CHARS = 100;
/** How much of the text is looked at for it: bounds the markup's removal, whatever the body's size. */
const LOOKED_AT_CHARS = 4096;

/**
 * The media type of a Content-Type, lowercased, without parameters: `Text/HTML; charset=x` → `text/html`. The Worker
 * compares a request body's whole (worker/validate, routes/jobs): a prefix took `application/json-seq` as JSON.
 */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Whether `contentType` names JSON: `application/json` or any `application/…+json` (problem+json, merge-patch). */
export function isJsonType(contentType: string | null | undefined): boolean {
  return /^application\/([\w.!#$&^-]+\+)?json$/.test(mediaTypeOf(contentType));
}

/**
 * The charset a JSON Content-Type names when it is not UTF-8 (`latin1` of `application/json; charset=latin1`), its
 * quotes off, at most 40 characters; undefined for UTF-8 (any of its labels, `utf8` too: shared/utf8-labels) in any
 * case, no charset, or a type that is not JSON.
 */
export function foreignJsonCharset(contentType: string | null | undefined): string | undefined {
  return isJsonType(contentType) ? foreignCharset(contentType) : undefined;
}

/** The charset any Content-Type names when it is not UTF-8 (an event stream's too: it is UTF-8 only), as above. */
export function foreignCharset(contentType: string | null | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*("?)([^";]*)\1/i.exec(contentType ?? "");
  const charset = m?.[2]?.trim();
  return charset === undefined || isUtf8Label(charset) ? undefined : charset.slice(0, 40);
}

/** The first words of `text` as a reader sees them: scripts, styles, comments and tags out, blanks folded. */
export function textOf(text: string): string {
  const plain = text
    .slice(0, LOOKED_AT_CHARS)
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>?/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">")
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/gi, "&")
    .replace(/\s+/g, " ")
    .trim();
  return plain.length > SNIPPET_CHARS ? `${plain.slice(0, SNIPPET_CHARS).trimEnd()}…` : plain;
}

/** What came of an answer: its status line's parts, its Content-Type, its body's text and size in bytes. */
export interface AnswerSeen {
  status: number;
  statusText?: string;
  contentType: string | null | undefined;
  text: string;
  bytes: number;
  /** The body went on past `bytes` and was read no further. */
  more?: boolean;
}

/**
 * `HTTP 404 Not Found`: the status and its reason phrase when the server sent a printable one (at most 40 ASCII
 * characters; a longer or odd one is left out), else `HTTP 404` — the CLI's and the agent's one wording of a status.
 */
export function statusWords(status: number, statusText: string | undefined): string {
  return `HTTP ${status}${statusText && /^[\x20-\x7e]{1,40}$/.test(statusText) ? ` ${statusText}` : ""}`;
}

/**
 * One line for an answer that is not the coordinator's JSON, e.g. `HTTP 404 Not Found, 162 bytes of text/html:
 * "404 Not Found nginx/1.24.0"` — the status (its reason phrase when printable), the size, the media type (and a
 * charset that is not UTF-8), and the text's first words when it has any (the caller says whose it is not).
 */
export function foreignAnswerText(a: AnswerSeen): string {
  const media = mediaTypeOf(a.contentType)
    .slice(0, 80)
    .replace(/[^\x21-\x7e]/g, "?"); // the server's: no controls
  const charset = foreignJsonCharset(a.contentType);
  const kind = media ? ` of ${media}${charset ? ` in charset ${charset}` : ""}` : " with no Content-Type";
  const size = a.more ? `more than ${counted(a.bytes, "byte")}` : counted(a.bytes, "byte");
  const words = textOf(a.text);
  return `${statusWords(a.status, a.statusText)}, ${size}${kind}${words ? `: "${words}"` : ""}`;
}

/**
 * One line for a redirect, which no program follows: `HTTP 301 Moved Permanently, a redirect to https://x/, not
 * followed: the coordinator never redirects, so something else answered` — the CLI's and the agent's one wording (the
 * REST client's said `it redirects (HTTP 301) to …`, the agent's socket `HTTP 301 redirect to …`). `location`: its
 * target as sent, at most 500 characters of it shown, its controls as `?`.
 */
export function redirectText(
  status: number,
  statusText: string | undefined,
  location: string | null | undefined,
): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a server's header, said on one line
  const to = location ? ` to ${location.slice(0, 500).replace(/[\x00-\x1f\x7f]/g, "?")}` : "";
  return `${statusWords(status, statusText)}, a redirect${to}, not followed: the coordinator never redirects, so something else answered`;
}
