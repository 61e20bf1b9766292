/**
 * @module worker/header-limits
 * The byte limits (UTF-8, core/bytes `utf8Text`) of the request headers the Worker reads outside a route's own
 * validator, checked for every request in one place before anything reads them. A route's own headers (If-Range,
 * If-None-Match, Range, Idempotency-Key, Last-Event-ID) are bounded by their schemas (worker/validate-params
 * `header`), the bearer token by worker/bearer-token, Accept disregarded past its limit (routes/metrics); these were
 * read at whatever size the runtime let through: `Origin` compared with every configured origin, `Content-Type`
 * scanned for a comma, and the `Sec-WebSocket-*` headers of a factory's socket passed on to its coordinator (a
 * job feed's too, with the request's headers). Each limit is far above any value a client of ours or a browser sends.
 */
import type { MiddlewareHandler } from "hono";
import { utf8Text } from "../core/bytes.ts";
import type { AppEnv } from "./auth.ts";
import { fromZod } from "./problem.ts";

/**
 * Each header's limit, bytes of UTF-8, by its name as the refusal spells it. An origin is `scheme://host[:port]`
 * (a host name ≤ 253 bytes); a media type or an extension list with its parameters a few hundred; a method, a
 * coding, a length, a socket's key (24 bytes) or version ("13") a few dozen.
 */
export const HEADER_MAX_BYTES: Readonly<Record<string, number>> = {
  Origin: 1024,
  "Access-Control-Request-Method": 256,
  Upgrade: 256,
  "Content-Type": 1024,
  "Content-Encoding": 256,
  "Content-Length": 256,
  "Sec-WebSocket-Key": 256,
  "Sec-WebSocket-Version": 256,
  "Sec-WebSocket-Protocol": 1024,
  "Sec-WebSocket-Extensions": 1024,
};

const LIMITS = Object.entries(HEADER_MAX_BYTES).map(([name, max]) => ({ name, schema: utf8Text(max) }));

/**
 * Refuses a request carrying one of HEADER_MAX_BYTES's headers over its limit, before CORS, a route or the
 * coordinator reads it: nothing is done for it.
 * @throws DomainError validation_failed (400) naming the header, e.g. `Origin: at most 1024 bytes of UTF-8`
 */
export const headerLimits: MiddlewareHandler<AppEnv> = async (c, next) => {
  const headers = c.req.raw.headers;
  for (const { name, schema } of LIMITS) {
    const value = headers.get(name);
    if (value === null) continue;
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw fromZod(name, parsed.error);
  }
  await next();
};
