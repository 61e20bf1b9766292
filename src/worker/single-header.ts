/**
 * @module worker/single-header
 * A request header that holds one value, read as one. A header sent twice reaches the Worker joined into one value,
 * "a, b" (Fetch `Headers.get`; proxies join a repeated field the same way): `Content-Type: text/markdown` and
 * `Content-Type: application/json` arrived as "text/markdown, application/json", and `POST …/jobs` read the body as
 * markdown by its first half, a JSON route as JSON by its first, an artifact was stored declaring the pair. A media
 * type has no comma outside a quoted parameter value (RFC 9110 §8.3.1), so one there can only be two values joined,
 * and the request is refused. (`Idempotency-Key` is refused so by its schema, shared/api-keys; `Last-Event-ID` by
 * its digits; a joined `Range` or `If-Range` is no range or tag of ours and means the whole artifact.)
 */
import { clipUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";

/** Whether `value` has a comma outside a quoted string (`"…"`, with `\` escapes): a list, not one value. */
export function holdsSeveral(value: string): boolean {
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted && ch === "\\") i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) return true;
  }
  return false;
}

/**
 * The header `name` of `headers` (undefined when absent), refused when it holds several values.
 * @throws DomainError validation_failed (400) naming the header and echoing its value (at most ISSUE_TEXT_BYTES)
 */
export function singleHeader(headers: Headers, name: string): string | undefined {
  const value = headers.get(name) ?? undefined;
  if (value !== undefined && holdsSeveral(value)) {
    throw new DomainError(
      "validation_failed",
      `${name} holds several values ("${clipUtf8(value)}"), as one sent twice reads: send one ${name}`,
    );
  }
  return value;
}
