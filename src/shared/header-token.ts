/**
 * @module shared/header-token
 * A token the CLI or the agent is given must fit in an HTTP header (`Authorization: Bearer …`) before it is sent.
 * A paste that brings along a character no header can carry — an ellipsis or a smart quote from a chat or a document
 * (above U+00FF), a line break or another control character — made `fetch` throw "Cannot convert argument to a
 * ByteString", which the CLI reported as `unreachable` ("check --url … and that the coordinator is up", while it
 * was up), and made the agent's WebSocket throw "Invalid character in header content", reported as an `internal`
 * bug of the agent with its stack. Refused here instead, before any request, as the caller's input (exit 2), naming
 * where the token came from and which character — never the token.
 */
import { EXIT_USAGE, FixableError } from "./fixable-error.ts";

/**
 * What Node's HTTP client takes in a header value (node:_http_common `checkInvalidHeaderChar`): tab, printable ASCII
 * and the Latin-1 range. `fetch` takes a little more (other C0 controls), the WebSocket client exactly this; the
 * narrower rule serves both, and a Gigafactory token (`gf_<product>_` and base64url) is printable ASCII anyway.
 */
const NOT_IN_HEADER = /[^\t\x20-\x7e\x80-\xff]/u;

/** `U+2026 at character 19` for the first character of `value` a header cannot carry, else undefined. */
export function headerUnsafeChar(value: string): string | undefined {
  const m = NOT_IN_HEADER.exec(value);
  if (!m) return undefined;
  const hex = (m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  // From 1; everything before it is at most U+00FF, one UTF-16 unit each, so the index counts characters.
  return `U+${hex} at character ${m.index + 1}`;
}

/** Tab, line feed, carriage return and space: what `fetch` strips from both ends of a header value before sending it. */
const HTTP_BLANKS = new Set(["\t", "\n", "\r", " "]);

/**
 * `value` without the blanks `fetch` strips from a header value's ends (Fetch "normalize"), so a token read with a
 * trailing line break is judged as `fetch` sends it. Not `trim()`: that also drops U+2028 and U+FEFF, which `fetch`
 * keeps and cannot send. Index loops, not a regex anchored at `$`, which rescans a run of blanks from every start.
 */
export function trimHeaderBlanks(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && HTTP_BLANKS.has(value[start] as string)) start++;
  while (end > start && HTTP_BLANKS.has(value[end - 1] as string)) end--;
  return value.slice(start, end);
}

/**
 * Refuses a token that cannot travel as a header: FixableError `token_malformed` (exit 2) — the one code for "this
 * token is broken", shared with cli/token-shape's refusal of a token that is not a product token's shape (it was
 * `malformed_token` here, so a script had to match two codes), and of the `token_*` family (`token_other_origin`,
 * `token_product_mismatch`, `token_is_code`). `source` names where it came from (`--token`, an environment variable, a
 * config file); `how` is the caller's way to give a good one.
 */
export function assertHeaderToken(token: string, source: string, how: string): void {
  const bad = headerUnsafeChar(token);
  if (bad === undefined) return;
  throw new FixableError(
    "token_malformed",
    `the token in ${source} holds a character no HTTP header can carry (${bad}); a paste may have brought it along`,
    `copy the token again, whole and alone (tokens are ASCII: gf_<product>_ and letters, digits, '_' or '-'); ${how}`,
    EXIT_USAGE,
  );
}
