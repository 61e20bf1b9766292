// foreign-answer.js — an answer the coordinator cannot have written, said in one line as the CLI says it: its status,
// size, media type (and a charset that is not UTF-8) and the first words of its text with the markup taken out. A
// mirror of src/shared/foreign-answer.ts and src/shared/problem-words.ts, which a page cannot import
// (test/unit/dashboard-foreign-answer holds them to the same words); api.js reads every answer through `readAnswer`.

import { counted } from "./format.js";

/** How much of the text a cut shows, and how much is looked at for it, in characters (as the CLI's). */
const SNIPPET_CHARS = 100;
const LOOKED_AT_CHARS = 4096;
/** How much of a field other than `detail` is shown, in characters (src/shared/problem-words). */
const WORDS_CHARS = 200;

/** The media type of a Content-Type, lowercased, without parameters. @param {string | null | undefined} contentType */
export const mediaTypeOf = (contentType) => (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

/** Whether `contentType` names JSON (application/json, application/…+json). @param {string | null | undefined} ct */
const isJsonType = (ct) => /^application\/([\w.!#$&^-]+\+)?json$/.test(mediaTypeOf(ct));

/** The labels of UTF-8 (`utf8` too), as src/shared/utf8-labels has them: another charset's JSON is not the coordinator's. */
const UTF8_LABELS = new Set([
  "unicode-1-1-utf-8",
  "unicode11utf8",
  "unicode20utf8",
  "utf-8",
  "utf8",
  "x-unicode20utf8",
]);

/**
 * The charset a JSON Content-Type names when it is not UTF-8, at most 40 characters; undefined otherwise.
 * @param {string | null | undefined} contentType
 */
export function foreignJsonCharset(contentType) {
  if (!isJsonType(contentType)) return undefined;
  const m = /;\s*charset\s*=\s*("?)([^";]*)\1/i.exec(contentType ?? "");
  const charset = m?.[2]?.trim();
  return charset === undefined || UTF8_LABELS.has(charset.toLowerCase()) ? undefined : charset.slice(0, 40);
}

/** The first words of `text` as a reader sees them: scripts, styles, comments and tags out. @param {string} text */
export function textOf(text) {
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

/** `HTTP 404 Not Found`, the reason phrase only when printable. @param {number} status @param {string} [statusText] */
export const statusWords = (status, statusText) =>
  `HTTP ${status}${statusText && /^[\x20-\x7e]{1,40}$/.test(statusText) ? ` ${statusText}` : ""}`;

/**
 * @typedef {{ status: number, statusText?: string, contentType: string | null | undefined, text: string,
 *   bytes: number, more?: boolean }} AnswerSeen
 */

/** What came, after its status: `162 bytes of text/html: "404 Not Found nginx"`. @param {AnswerSeen} a */
export function whatCame(a) {
  const media = mediaTypeOf(a.contentType)
    .slice(0, 80)
    .replace(/[^\x21-\x7e]/g, "?");
  const charset = foreignJsonCharset(a.contentType);
  const kind = media ? ` of ${media}${charset ? ` in charset ${charset}` : ""}` : " with no Content-Type";
  const size = a.more ? `more than ${counted(a.bytes, "byte")}` : counted(a.bytes, "byte");
  const words = textOf(a.text);
  return `${size}${kind}${words ? `: "${words}"` : ""}`;
}

/** The CLI's one line: `HTTP 404 Not Found, 162 bytes of text/html: "…"`. @param {AnswerSeen} a */
export const foreignAnswerText = (a) => `${statusWords(a.status, a.statusText)}, ${whatCame(a)}`;

/** @param {unknown} v a field's value as one line of at most WORDS_CHARS characters, else undefined */
function line(v) {
  if (typeof v !== "string") return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a server's line breaks and controls fold to a blank
  const one = v.replace(/[\s\x00-\x1f\x7f]+/g, " ").trim();
  if (!one) return undefined;
  return one.length > WORDS_CHARS ? `${one.slice(0, WORDS_CHARS).trimEnd()}…` : one;
}

/**
 * The words a parsed JSON error body gives (src/shared/problem-words `problemWordsOf`): its `detail`, else the first
 * of `title`, `message`, `error_description`, `error` (a string, or an object's `message`), `code` that holds words,
 * one line cut at 200 characters; a bare JSON string is its own. Undefined when it names none.
 * @param {unknown} body
 */
export function problemWordsOf(body) {
  if (typeof body === "string") return line(body);
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const p = /** @type {Record<string, unknown>} */ (body);
  if (typeof p.detail === "string" && p.detail.trim() !== "") return p.detail;
  for (const field of ["title", "message", "error_description", "error", "code"]) {
    const v = p[field];
    const words = line(v) ?? (typeof v === "object" && v !== null ? line(/** @type {any} */ (v).message) : undefined);
    if (words) return words;
  }
  return undefined;
}

/**
 * Whether a refusal is a problem as the coordinator writes every one (src/shared/problem-words `isCoordinatorProblem`):
 * `application/problem+json`, an object whose `type`, `title` and `detail` are strings and whose `code` is snake_case
 * (at most 64 characters). A proxy's `{"code": "bad_gateway"}` or a gateway's `{"code": "forbidden"}` names a code
 * too, and the page acted on it as the coordinator's (its advice, a field marked, a sign-out).
 * @param {unknown} body the parsed JSON, or null @param {string | null | undefined} contentType
 */
export function isCoordinatorProblem(body, contentType) {
  if (mediaTypeOf(contentType) !== "application/problem+json") return false;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const p = /** @type {Record<string, unknown>} */ (body);
  const words = [p.type, p.title, p.detail].every((v) => typeof v === "string");
  return words && typeof p.code === "string" && /^[a-z][a-z0-9_]{0,63}$/.test(p.code);
}

const NOT_OURS = "the answer is not the coordinator's";

/**
 * A refusal's detail beside its title: a problem's own `detail` (or, titled, the status's reason phrase); else what
 * came, said in one line as the CLI says it — another server's JSON in its own words, a page by its size, media type
 * and first words — never "the answer is not the coordinator's" alone, which named nothing of it.
 * @param {AnswerSeen & { json: boolean, body: unknown }} seen @param {boolean} titled the body has a problem's title
 */
export function refusalDetail(seen, titled) {
  const p = /** @type {Record<string, unknown> | null} */ (typeof seen.body === "object" ? seen.body : null);
  if (typeof p?.detail === "string") return p.detail;
  if (titled) return seen.statusText ?? "";
  if (seen.text === "") return NOT_OURS;
  if (!seen.json) return `${NOT_OURS}: ${whatCame(seen)}`;
  return (
    problemWordsOf(seen.body) ??
    `${NOT_OURS}: ${whatCame({ ...seen, text: "" })}, naming no problem (no detail, title, message or error)`
  );
}

/** A token's head (`gf_<product>_`), which names the product and is no secret (src/shared/redact-known). */
const PUBLIC_HEAD = /^gfe?_[a-z0-9][a-z0-9-]{0,62}_/;
/** Characters of a token past its head that an echo cut short must show before they are hidden (MIN_LITERAL). */
const MIN_SECRET_CHARS = 8;
const escapeRe = (/** @type {string} */ s) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/**
 * `text` with the token the page sent hidden past its public head (`gf_acme_…`): whole, and cut short — a prefix holding 8 characters past its
 * public head, where the text ends or a quote or an ellipsis follows (a proxy echoing a header cut at 40). As the
 * CLI's shared/redact-known hides it: a proxy's page echoing the `Authorization` header put the token on the status
 * line, where a screenshot or a shared screen took it. A token is of URL-safe characters: no escaping changes it.
 * @param {string} text @param {string | undefined} secret
 */
export function hideToken(text, secret) {
  if (!secret || secret.length < MIN_SECRET_CHARS) return text;
  const head = PUBLIC_HEAD.exec(secret)?.[0] ?? "";
  let out = text.split(secret).join(`${head}…`);
  const rest = secret.slice(head.length);
  if (rest.length <= MIN_SECRET_CHARS) return out;
  // Longest prefix first, so a cut echo is hidden whole; only where the text shows a cut.
  const tails = [];
  for (let n = rest.length - 1; n >= MIN_SECRET_CHARS; n--) tails.push(escapeRe(rest.slice(0, n)));
  const cut = new RegExp(`${escapeRe(head)}(?:${tails.join("|")})(?=$|["'…]|\\.\\.\\.)`, "g");
  out = out.replace(cut, `${head}…`);
  return out;
}

/**
 * An answer's body read once: its text (UTF-8, the token the page sent hidden), size in bytes, and its JSON when it
 * is JSON in UTF-8 (`json` false for a page, a cut body, or JSON declared in another charset, which would be read as
 * other characters than sent).
 * @param {Response} res @param {string} [secret] the token sent with the request (hideToken)
 * @returns {Promise<AnswerSeen & { json: boolean, body: unknown }>}
 */
export async function readAnswer(res, secret) {
  const bytes = new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
  const text = hideToken(new TextDecoder().decode(bytes), secret);
  const contentType = res.headers.get("content-type");
  const seen = { status: res.status, statusText: res.statusText, contentType, text, bytes: bytes.length };
  if (text === "" || foreignJsonCharset(contentType) !== undefined) return { ...seen, json: false, body: null };
  try {
    return { ...seen, json: true, body: JSON.parse(text) };
  } catch {
    return { ...seen, json: false, body: null };
  }
}
