/**
 * @module worker/bearer-token
 * The one reading of a request's `Authorization: Bearer <token>` header, for the API (worker/auth) and the live feeds
 * (worker/feed-access) alike, and its limit, in bytes of UTF-8 (core/bytes).
 */
import type { Context } from "hono";
import { fitsUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";

/**
 * 512 bytes of UTF-8: a Gigafactory token is ~110 ASCII bytes and the admin secret is the deployer's choice; past
 * this a header is no token of ours, refused before it is hashed. Bytes, not characters: a header's non-ASCII bytes
 * reach the Worker as 2- or 3-byte characters, and the feed's own check counted 512 of them (up to 1.5 KB).
 */
export const BEARER_TOKEN_MAX_BYTES = 512;

/**
 * The whole header's limit, bytes of UTF-8: the token's and 64 for the scheme and the space around it. Checked before
 * the header is matched: the token's limit alone let "Bearer", 100 KB of spaces and a valid token through, read whole.
 */
export const AUTHORIZATION_MAX_BYTES = BEARER_TOKEN_MAX_BYTES + 64;

/**
 * The token of the request's `Authorization: Bearer <token>` header.
 * @throws DomainError `unauthorized` (401) when the header is absent, over AUTHORIZATION_MAX_BYTES, not a Bearer one,
 *   or its token is over BEARER_TOKEN_MAX_BYTES
 */
export function bearerToken(c: Context): string {
  const header = c.req.header("authorization");
  const m = header && fitsUtf8(header, AUTHORIZATION_MAX_BYTES) ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m?.[1] || !fitsUtf8(m[1], BEARER_TOKEN_MAX_BYTES)) {
    throw new DomainError("unauthorized", "send Authorization: Bearer <token>");
  }
  return m[1];
}
