/**
 * @module worker/validate-params
 * The query, path parameters and headers of a request, each read through a zod validator at the boundary: a value
 * the validator refuses, a parameter given twice or one the route does not take is a 400 validation_failed problem
 * naming it, never ignored. A route that takes no query parameters reads its query through NO_QUERY (`noQuery`),
 * so every route refuses an unknown one alike. Also the probe test/integration/openapi-validators uses to check the
 * OpenAPI document's parameters against what the routes really apply.
 */
import type { Context } from "hono";
import { z } from "zod";
import { truncateUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";
import { fromZod } from "./problem.ts";

/**
 * One query, path or header validator a route read a request through, or the byte limit (UTF-8) it read the body
 * within — past which the body is refused 413.
 */
type ProbedUse =
  | {
      in: "query" | "path" | "header";
      /** The path parameter's or the header's name (as the document spells it); absent for a query. */
      name?: string;
      schema: z.ZodType;
    }
  | { in: "body"; limit: number };

/** A ProbedUse with the request's method and the route's pattern (`/…/:jobId/…`). */
export type ValidatorUse = { method: string; route: string } & ProbedUse;

/**
 * Told of every validator `query`, `param` and `header` apply, and of every body `readText` reads, when set: how
 * test/integration/openapi-validators checks the OpenAPI document's parameters and body limits against what each
 * route really applies. Unset (free) in production.
 */
export const validatorProbe: { seen?: (use: ValidatorUse) => void } = {};

/** Tells `validatorProbe`, when set, of one validator (or body limit) a route applies. */
export function probe(c: Context, use: ProbedUse): void {
  // c.req.routePath, not hono/route's helper: that one reads a symbol the test runner's second hono copy lacks.
  if (validatorProbe.seen) validatorProbe.seen({ method: c.req.method, route: c.req.routePath, ...use });
}

/**
 * The query through `schema`. @throws DomainError validation_failed (400): a percent-encoding that is not UTF-8
 * (assertQueryDecodes), a parameter given twice (`?after=0&after=9`
 * was read as after=0, silently; proxies and caches may take the other), or one `schema` refuses
 */
export function query<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  probe(c, { in: "query", schema });
  assertQueryDecodes(c);
  const [name, values] = Object.entries(c.req.queries()).find(([, v]) => v.length > 1) ?? [];
  if (name)
    throw new DomainError("validation_failed", `query "${truncateUtf8(name, 64)}" given ${values?.length} times`);
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw fromZod("query", parsed.error);
  return parsed.data;
}

/**
 * The query of a route that takes no query parameters: none at all. Such routes ignored whatever came (`?limit=5` on
 * a list that has no paging, a misspelt `?stage=` read as no filter) while the routes with parameters refused an
 * unknown one; now every route refuses it alike. The OpenAPI document lists no query parameter for these routes.
 */
export const NO_QUERY = z.strictObject({});

/**
 * Refuses any query parameter (NO_QUERY), as `query` would; a URL with no `?` is passed over without parsing.
 * @throws DomainError validation_failed (400) naming the first parameter, e.g. `query: Unrecognized key: "limit"`
 */
export function noQuery(c: Context): void {
  if (!c.req.url.includes("?")) {
    probe(c, { in: "query", schema: NO_QUERY });
    return;
  }
  query(c, NO_QUERY);
}

export function param<S extends z.ZodType>(c: Context, name: string, schema: S): z.infer<S> {
  assertPathDecodes(c);
  probe(c, { in: "path", name, schema });
  const parsed = schema.safeParse(c.req.param(name));
  if (!parsed.success) throw fromZod(name, parsed.error);
  return parsed.data;
}

/**
 * The request header `name` (spelt as the OpenAPI document names it; matched case-insensitively) read through
 * `schema`, or undefined when it is absent. Told to the probe whether present or not: the route reads it.
 * @throws DomainError validation_failed (400) naming the header, when present and refused by `schema`
 */
export function header<S extends z.ZodType>(c: Context, name: string, schema: S): z.infer<S> | undefined {
  probe(c, { in: "header", name, schema });
  const raw = c.req.header(name);
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw fromZod(name, parsed.error);
  return parsed.data;
}

/**
 * Refuses a request body sent under a content coding (`Content-Encoding: gzip`, …): the Worker reads the bytes as they
 * came, so a gzipped artifact was stored compressed — served without the coding, its ETag the compressed bytes' digest —
 * and a gzipped JSON body was refused as "not valid UTF-8". RFC 9110 §8.4.1 leaves such a request to a 415.
 * `identity` (no coding) is taken.
 * @param value - the request's Content-Encoding header, null when absent
 * @throws DomainError unsupported_media_type (415) naming the coding (its first 64 bytes)
 */
export function assertNoContentCoding(value: string | null | undefined): void {
  if (value === null || value === undefined || /^\s*(identity\s*)?$/i.test(value)) return;
  throw new DomainError(
    "unsupported_media_type",
    `Content-Encoding "${truncateUtf8(value, 64)}" is not taken: send the body uncompressed`,
  );
}

/**
 * Refuses a query whose percent-encoding does not decode to well-formed UTF-8 (`%FF`, `%ED%A0%80`, a `%` not followed
 * by two hex digits), as `assertPathDecodes` refuses such a path. The router keeps such a sequence as its literal
 * text: `GET …/serial?cursor=%FF` paged after the key "%FF" (and `%25FF`, its right spelling, after the same key),
 * `GET …/lessons?q=%FF` searched for the three characters — a malformed request read as another one, not refused.
 * @throws DomainError validation_failed (400) naming the parameter (its first 64 bytes)
 */
function assertQueryDecodes(c: Context): void {
  const at = c.req.url.indexOf("?");
  if (at < 0 || !c.req.url.includes("%", at)) return;
  for (const part of c.req.url.slice(at + 1).split("&")) {
    try {
      decodeURIComponent(part);
    } catch {
      const [name = ""] = part.split("=", 1);
      throw new DomainError(
        "validation_failed",
        `query "${truncateUtf8(name, 64)}": its percent-encoding is not UTF-8 (a literal "%" is written %25)`,
      );
    }
  }
}

/**
 * Refuses a path whose percent-encoding does not decode to well-formed UTF-8 (`%FF`, or `%ED%A0%80`, a lone
 * surrogate). The router keeps such a sequence as its literal text, so `/serial/%FF/freeze` froze the key "%FF"
 * (found by a hostile-input reviewer); every path parameter is read through here.
 * @throws DomainError validation_failed (400)
 */
function assertPathDecodes(c: Context): void {
  const path = new URL(c.req.url).pathname;
  if (!path.includes("%")) return;
  try {
    decodeURIComponent(path);
  } catch {
    throw new DomainError("validation_failed", "the path's percent-encoding is not UTF-8");
  }
}
