/**
 * @module worker/validate
 * Boundary validation: bodies are read with a hard size cap (also when no
 * Content-Length is sent), parsed as JSON, and checked against a zod schema;
 * queries, path params and headers likewise (worker/validate-params). Every failure is a DomainError → 4xx.
 * Every size limit here is in UTF-8 bytes (core/bytes), never `.length`.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { clipUtf8, fitsUtf8, jsonBytes, parsedHoldsLoneSurrogate, truncateUtf8, wellFormed } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";
import { MAX_MANIFEST_BYTES } from "../core/manifest-schema.ts";
import { protoKeyPath } from "../core/proto-key.ts";
import { isJsonType } from "../shared/foreign-answer.ts";
import { assertUtf8Charset } from "./body-charset.ts";
import { fromZod } from "./problem.ts";
import { singleHeader } from "./single-header.ts";
import { assertNoContentCoding, probe } from "./validate-params.ts";

/** Query, path and header validators (worker/validate-params), read from here as before. */
export {
  header,
  NO_QUERY,
  noQuery,
  param,
  query,
  type ValidatorUse,
  validatorProbe,
} from "./validate-params.ts";

/** JSON bodies are small control messages; 64 KiB is generous and bounds parsing cost. */
export const MAX_JSON_BYTES = 64 * 1024;
/** A manifest body is markdown prose: the manifest parser's own cap (one constant, core/manifest-schema). */
export { MAX_MANIFEST_BYTES };
/**
 * A tracker item carries a manifest body (up to MAX_MANIFEST_BYTES by its schema) beside small fields: read that
 * much, so the item's real bound — its JSON within one dispatch-queue message, in UTF-8 bytes (`assertJsonWithin`)
 * — decides, with a 413 that names it. The JSON default (64 KiB) refused items a message carries.
 */
export const MAX_TRACKER_REQUEST_BYTES = MAX_MANIFEST_BYTES + MAX_JSON_BYTES;
/** `POST …/jobs` as JSON: the manifest's body (MAX_MANIFEST_BYTES) and its frontmatter fields beside it. */
export const MAX_SUBMIT_JSON_BYTES = MAX_MANIFEST_BYTES + 4096;
/** A `jobs:batch` request may carry this much; larger imports are split by the client (shared/api-batches). */
export { MAX_BATCH_BYTES } from "../shared/api-batches.ts";

export async function readText(c: Context, limit: number): Promise<string> {
  probe(c, { in: "body", limit });
  return await readBody(c, limit);
}

/**
 * The body as UTF-8 text, at most `limit` bytes (413 past it, the rest drained), told to no probe. A coding or a
 * charset other than UTF-8 declared for it is a 415 before a byte is read (worker/body-charset).
 */
async function readBody(c: Context, limit: number): Promise<string> {
  assertNoContentCoding(c.req.header("content-encoding"));
  assertUtf8Charset(c.req.header("content-type"));
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await drain(reader, limit);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw new DomainError("validation_failed", "body is not valid UTF-8");
  }
}

/**
 * Past the cap, read and discard the rest (up to a bound) before answering:
 * answering while a request body is still unread makes workerd close the
 * connection, and a client that reuses it meanwhile (undici, any keep-alive
 * pool) gets "other side closed" for a request it sent after ours — in
 * wrangler dev it took the whole server down. Only a body beyond the bound,
 * which no honest client sends, is cut off instead.
 */
const DRAIN_LIMIT_BYTES = 32 * 1024 * 1024;

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, limit = 0): Promise<void> {
  let drained = 0;
  const bound = Math.max(DRAIN_LIMIT_BYTES, limit * 4);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    drained += value.byteLength;
    if (drained > bound) {
      await reader.cancel();
      return;
    }
  }
}

/**
 * Middleware: once the answer is made, discard whatever of the request body its
 * handler did not read — a refusal (401, 403, 413 by declared length, 409) is
 * decided before the body is looked at — so the connection stays reusable.
 */
export async function drainUnreadBody(c: Context, next: () => Promise<void>): Promise<void> {
  await next();
  const body = c.req.raw.body;
  if (!body || c.req.raw.bodyUsed || body.locked) return;
  await drain(body.getReader()).catch(() => undefined);
}

function tooLarge(limit: number): DomainError {
  return new DomainError("payload_too_large", `body exceeds ${limit} bytes`, { limit });
}

/**
 * Refuses a string longer than `maxBytes` of UTF-8 (zod's `.max` counts characters:
 * "漢" is 1 character and 3 bytes, an emoji 1 and 4).
 * @throws DomainError `payload_too_large` (413) with `{ limit }`
 */
export function assertTextWithin(what: string, text: string, maxBytes: number): void {
  if (!fitsUtf8(text, maxBytes)) {
    throw new DomainError("payload_too_large", `${what} exceeds ${maxBytes} bytes of UTF-8`, { limit: maxBytes });
  }
}

/**
 * Refuses a value whose JSON is larger than `maxBytes` of UTF-8 — the measure of a
 * queue message or an RPC payload.
 * @returns the size in bytes
 * @throws DomainError `payload_too_large` (413) with `{ limit, size }`
 */
export function assertJsonWithin(what: string, value: unknown, maxBytes: number): number {
  const size = jsonBytes(value);
  if (size > maxBytes) {
    throw new DomainError("payload_too_large", `${what} is ${size} bytes of JSON, over the limit of ${maxBytes}`, {
      limit: maxBytes,
      size,
    });
  }
  return size;
}

/**
 * `accepts`: the media types the route reads, as its 415 names them — a route that also takes text (`POST …/jobs`)
 * says so, instead of "expected application/json" to a caller who sent markdown under the wrong type.
 */
export async function readJson(
  c: Context,
  limit = MAX_JSON_BYTES,
  allowEmpty = false,
  accepts = "application/json",
): Promise<unknown> {
  const type = singleHeader(c.req.raw.headers, "Content-Type") ?? "";
  const text = await readText(c, limit);
  if (text.trim() === "") {
    if (allowEmpty) return {};
    throw new DomainError("validation_failed", "a JSON body is required");
  }
  if (type !== "" && !isJsonType(type)) {
    // The header is the caller's input: echoed at most ISSUE_TEXT_BYTES (core/bytes `clipUtf8`), as every echo is.
    throw new DomainError("unsupported_media_type", `expected ${accepts}, got ${clipUtf8(type)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new DomainError("validation_failed", `body is not valid JSON: ${(err as Error).message}`);
  }
  if (parsedHoldsLoneSurrogate(text, value)) {
    // Storing it would change it (core/bytes `hasLoneSurrogate`).
    throw new DomainError(
      "validation_failed",
      "body holds a lone surrogate (a \\uD800–\\uDFFF escape without its pair): text must be well-formed Unicode",
    );
  }
  const proto = protoKeyPath(text, value);
  if (proto !== undefined) {
    // zod drops an own `__proto__` key without an issue: refused here, once, so no schema answers "nothing changed".
    throw new DomainError("validation_failed", `body.${proto}: an own __proto__ key is never a valid name`);
  }
  return value;
}

/**
 * The body of an operation that takes none (the OpenAPI document lists no request body for it): none, blank, or an
 * empty JSON object (`{}`, what some clients send with every POST). Anything else was read by no one — `POST
 * …/alerts/{id}/ack` with `{"note": …}`, `DELETE …/factories/{id}` with `{"reason": …}` answered 200 and dropped it,
 * as routes without query parameters ignored an unknown one (`noQuery`). Reads nothing when no body came.
 * @throws DomainError validation_failed (400) naming what came, at most its first 5 keys of 40 bytes each
 */
export async function noBody(c: Context): Promise<void> {
  if (!c.req.raw.body) return;
  let text: string;
  try {
    text = (await readBody(c, MAX_JSON_BYTES)).trim();
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== "payload_too_large") throw err;
    text = "(a large body)";
  }
  if (text === "") return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const object = typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  const keys = object ? Object.keys(object) : [];
  if (object && keys.length === 0) return;
  const got = object
    ? `keys ${keys
        .slice(0, 5)
        .map((k) => wellFormed(truncateUtf8(k, 40)))
        .join(", ")}`
    : "a body";
  throw new DomainError("validation_failed", `this operation takes no request body; got ${got}`);
}

export async function body<S extends z.ZodType>(c: Context, schema: S, allowEmpty = false): Promise<z.infer<S>> {
  const raw = await readJson(c, MAX_JSON_BYTES, allowEmpty);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw fromZod("body", parsed.error);
  return parsed.data;
}
