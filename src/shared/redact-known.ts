/**
 * @module shared/redact-known
 * A secret the program holds (the token it sends, a code it was given) hidden by its VALUE, whatever its shape, in
 * every form a server, a proxy or a log can echo it back in: as typed; JSON-escaped (`\"`, `\\`, `\/`, `\u0041`);
 * percent-encoded, upper or lower hex, UTF-8 or Latin-1 (`%2F`, `%c3%a9`), with `+` for a blank (a form body);
 * HTML-escaped (`&amp;`, `&#38;`); shown as a terminal prints it (a C1 control as U+FFFD) — one form per character,
 * mixed as a double-encoding mixes them. An echo cut short (an error body cut at 200 characters, a value cut at 40
 * and quoted) still leaks the token's start: a prefix of it is hidden too, once it holds 8 characters past its
 * public `gf_<product>_` head, where the text shows a cut — it ends there, or a quote or an ellipsis follows.
 * shared/redact-secrets applies this after the shapes it knows; cli/own-tokens applies it alone to everything the CLI
 * prints.
 */

/** What a hidden secret is replaced by (shared/redact-secrets REDACTED). */
const HIDDEN = "…";

/**
 * 8 characters: a known secret shorter than that is no credential worth hiding (the coordinator's codes and tokens
 * are 50+), and replacing every short word equal to it would mangle ordinary text.
 */
export const MIN_LITERAL = 8;

/** A Gigafactory token's or enrollment code's head, which names the product and is no secret. */
const PUBLIC_HEAD = /^gfe?_[a-z0-9][a-z0-9-]{0,62}_/;

const escapeRe = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
/** A hex number matched in either case, with the leading zeros a writer may add (`%2f`, `\u002F`). */
const hexRe = (n: number, width: number): string =>
  n
    .toString(16)
    .padStart(width, "0")
    .replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);

const JSON_SHORT: Readonly<Record<string, string>> = { '"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f" };
const JSON_CONTROL: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const HTML_NAMED: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/** Every form one character of a secret may be printed in, as one regex group. */
function charForms(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  const forms = new Set<string>([escapeRe(ch), `\\\\u${hexRe(c, 4)}`, `&#0*${c};`, `&#[xX]0*${hexRe(c, 1)};`]);
  const json = JSON_SHORT[ch] ?? JSON_CONTROL[ch];
  if (json) forms.add(escapeRe(json));
  const html = HTML_NAMED[ch];
  if (html) forms.add(escapeRe(html));
  for (const bytes of [new TextEncoder().encode(ch), ...(c >= 0x80 && c <= 0xff ? [[c]] : [])])
    forms.add([...bytes].map((b) => `%${hexRe(b, 2)}`).join(""));
  if (ch === " ") forms.add("\\+");
  // As core/terminal-text shows a control character: its picture, or U+FFFD for a C1 one.
  if (c < 0x20 && ch !== "\t" && ch !== "\n") forms.add(String.fromCharCode(0x2400 + c));
  if (c === 0x7f) forms.add("\u2421");
  if (c >= 0x80 && c <= 0x9f) forms.add("\ufffd");
  // The literal last: `%` must not be read as the whole of `%25`.
  return `(?:${[...forms].slice(1).join("|")}|${escapeRe(ch)})`;
}

interface Matcher {
  /** The whole secret, each character in any of its forms (global). */
  whole: RegExp;
  /** Its start, 8 characters past its public head or more, where a cut follows (global); none for a short secret. */
  cut?: RegExp;
  /** What stands for it: its public head (`gf_acme_`, no secret and names the product) and `…`. */
  hidden: string;
}

/**
 * Where a text cut a value short: its end, a closing quote (JSON-escaped too), an ellipsis. A token's start elsewhere
 * is left: an operator's admin token may begin with a word (`password-…`) that ordinary text holds.
 */
const CUT = `(?=$|\\\\?["']|…|\\.\\.\\.)`;
/** The most characters past the first 8 a cut prefix is matched over: one regex group nests in the next. */
const MAX_CUT = 512;

const cache = new Map<string, Matcher>();

function matcherOf(secret: string): Matcher {
  const hit = cache.get(secret);
  if (hit) return hit;
  const chars = [...secret].map(charForms);
  const keep = PUBLIC_HEAD.exec(secret)?.[0] ?? "";
  const min = Math.min(chars.length, keep.length + MIN_LITERAL);
  // One regex, not a character at a time: a form may start like another (`%` and `%25`), and only backtracking
  // over the whole finds the reading that goes on.
  const rest = chars.slice(min, min + MAX_CUT).reduceRight((inner, c) => `(?:${c}${inner})?`, "");
  const matcher: Matcher = {
    whole: new RegExp(chars.join(""), "g"),
    ...(min < chars.length ? { cut: new RegExp(`${chars.slice(0, min).join("")}${rest}${CUT}`, "g") } : {}),
    hidden: `${keep}${HIDDEN}`,
  };
  if (cache.size > 64) cache.clear();
  cache.set(secret, matcher);
  return matcher;
}

/** The secrets worth hiding, longest first (a secret holding another is hidden whole, not around the other). */
const worthHiding = (known: readonly string[]): string[] =>
  [...new Set(known)].filter((s) => s.length >= MIN_LITERAL).sort((a, b) => b.length - a.length);

/** `text` with every occurrence of `secret` (or of its start, cut short) in any form replaced by `…`. */
function hideOne(text: string, secret: string): string {
  const { whole, cut, hidden } = matcherOf(secret);
  const out = text.replace(whole, hidden);
  return cut ? out.replace(cut, hidden) : out;
}

/**
 * `text` with each of `known` (the literal secrets in play; any shorter than 8 characters are left alone) replaced by
 * `…` wherever it stands, in any form above, and its start too where an echo was cut inside it. Pure.
 */
export function hideKnown(text: string, known: readonly string[]): string {
  let out = text;
  for (const secret of worthHiding(known)) out = hideOne(out, secret);
  return out;
}

/** Whether `text` holds any of `known` in any form `hideKnown` hides. */
export function holdsKnown(text: string, known: readonly string[]): boolean {
  return worthHiding(known).some((secret) => {
    const { whole, cut } = matcherOf(secret);
    whole.lastIndex = 0;
    if (cut) cut.lastIndex = 0;
    return whole.test(text) || cut?.test(text) === true;
  });
}
