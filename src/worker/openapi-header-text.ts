/**
 * @module worker/openapi-header-text
 * What the OpenAPI document says, once for every operation, of the request headers the Worker bounds before reading
 * them: the byte limits of worker/header-limits (its `info.description`) and the bearer scheme's (worker/bearer-token).
 */
import { AUTHORIZATION_MAX_BYTES, BEARER_TOKEN_MAX_BYTES } from "./bearer-token.ts";
import { HEADER_MAX_BYTES } from "./header-limits.ts";

/**
 * What every operation refuses of its request's headers (worker/header-limits, checked before anything else): a
 * client reads it once here, not on each operation. A header sent twice counts as its values joined by ", ".
 */
export function headerLimitsText(): string {
  const limits = Object.entries(HEADER_MAX_BYTES).map(([name, max]) => `\`${name}\` ${max}`);
  return (
    "Every operation refuses 400 `validation_failed` (naming the header; nothing done) a request whose header is " +
    `over its limit in bytes of UTF-8 (a header sent twice counts as its values joined by ", "): ${limits.join(", ")}.`
  );
}

/** The bearer scheme's bounds (worker/bearer-token): past either, the 401 any unreadable credential gets. */
export function bearerText(): string {
  return `\`Authorization: Bearer <token>\`: a token over ${BEARER_TOKEN_MAX_BYTES} bytes of UTF-8, or the header over ${AUTHORIZATION_MAX_BYTES}, is 401 unauthorized`;
}
