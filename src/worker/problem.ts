/**
 * @module worker/problem
 * The one place errors become HTTP: every DomainError code maps to a status and
 * an RFC 9457 problem+json body with a stable `code`. Anything that is not a
 * DomainError is a bug on our side: it is logged and answered 500 without
 * leaking internals — and the fuzz suite exists to prove no input reaches it.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ZodError, z } from "zod";
import { clipUtf8, ISSUES_ECHOED } from "../core/bytes.ts";
import { DomainError, ERROR_CODES, type ErrorCode } from "../core/errors.ts";

const TITLES: Record<ErrorCode, string> = {
  validation_failed: "Request failed validation",
  invalid_manifest: "Job manifest is invalid",
  unauthorized: "Authentication required",
  forbidden: "Not allowed",
  not_found: "Not found",
  unknown_engine: "Unknown engine",
  method_not_allowed: "Method not allowed",
  fenced: "Lease epoch is stale",
  illegal_transition: "Illegal stage transition",
  not_lease_holder: "Not the lease holder",
  conflict: "Conflict",
  budget_exceeded: "Over the job's budget",
  ancestor_cancelled: "A job above this one is cancelled",
  too_many_artifacts: "Too many artifacts for one job",
  identical_arms: "The experiment's arms are identical",
  feed_purged: "The job's feed was purged",
  dead_letter_malformed: "The dead letter's message is malformed",
  dead_letter_not_redrivable: "The dead letter cannot be redriven",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  after_beyond_feed: "Resume point past the feed's end",
  range_not_satisfiable: "Range not satisfiable",
  upgrade_required: "Upgrade required",
  limit_exceeded: "Limit exceeded",
  unavailable: "Temporarily unavailable",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode | "internal";
  [extra: string]: unknown;
}

/**
 * The problem+json of a DomainError: its details are extension members (RFC 9457 §3.2), but RFC 9457's own members
 * and `code` are the problem's and are written last, so a detail of the same name cannot replace them — a release
 * of a factory that was not quarantined named its `status: "active"` and the answer's `status` said "active", not
 * 409 (what the factory's state is stays in `detail`).
 */
export function problemOf(err: DomainError): Problem {
  return {
    ...(err.details ?? {}),
    type: `https://gigafactory.dev/problems/${err.code}`,
    title: TITLES[err.code],
    status: ERROR_CODES[err.code],
    detail: err.message,
    code: err.code,
  };
}

/**
 * The challenge every 401 carries (RFC 9110 §15.5.2: a 401 MUST send WWW-Authenticate; RFC 6750 §3 for Bearer). It
 * names the scheme the OpenAPI document's `bearer` security scheme declares; a browser shows no login dialog for it.
 */
export const BEARER_CHALLENGE = 'Bearer realm="gigafactory"';

/**
 * Seconds a 503 `unavailable` that names no wait of its own tells a client to wait: what refused (a queue, R2, D1, a
 * job's feed behind its held events) is usually back within a second or two, and our clients back off further.
 */
export const UNAVAILABLE_RETRY_AFTER_S = 1;

/**
 * The whole seconds an error tells its client to wait (`Retry-After`, RFC 9110 §10.2.3), or undefined: its own
 * `retryAfterSeconds` (the watcher cap's 429, a feed behind, an overloaded coordinator), else UNAVAILABLE_RETRY_AFTER_S
 * for every `unavailable` — only the platform's transient 503s said when, a refused queue's, R2's or D1's none, and a
 * feed behind its held events put it in the body alone, so a client reading the header was told nothing.
 */
export function retryAfterOf(err: DomainError): number | undefined {
  const own = err.details?.retryAfterSeconds;
  if (typeof own === "number" && Number.isFinite(own) && own >= 0) return Math.ceil(own);
  return err.code === "unavailable" ? UNAVAILABLE_RETRY_AFTER_S : undefined;
}

/**
 * The HTTP answer of `err`: its problem+json with the headers its status needs — a 401's challenge, a 426's Upgrade,
 * and a wait (`Retry-After`, in the body too as `retryAfterSeconds`) where retryAfterOf gives one.
 */
export function problemResponse(c: Context, err: DomainError): Response {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (err.code === "unauthorized") headers["www-authenticate"] = BEARER_CHALLENGE;
  // RFC 9110 §15.5.22: a 426 MUST name the protocol to upgrade to — here always a WebSocket (the feeds, the link);
  // §7.8: whoever sends Upgrade sends the "upgrade" connection option with it.
  if (err.code === "upgrade_required") Object.assign(headers, { upgrade: "websocket", connection: "upgrade" });
  const problem = problemOf(err);
  const wait = retryAfterOf(err);
  if (wait !== undefined) {
    headers["retry-after"] = String(wait);
    problem.retryAfterSeconds = wait;
  }
  return c.body(JSON.stringify(problem), ERROR_CODES[err.code] as ContentfulStatusCode, headers);
}

/**
 * How much of a refused record key an issue echoes: an engine name is at most 32 bytes, and the bound leaves the key
 * rule's own words room within ISSUE_TEXT_BYTES — a key cut only by the whole message's bound lost the rule.
 */
const KEY_ECHO_BYTES = 64;

/**
 * One zod issue as `{path, message}`, path from `where`. A record's refused key is told by its key rule's own message,
 * the key named, at the record's path: zod 4 says only "Invalid key in record" at a path ending in the key, and
 * keeps the rule beneath (`issues`) — `body.prices.кодекс: Invalid key in record` said nothing of what a name may be.
 */
function issueOf(where: string, i: z.core.$ZodIssue): { path: string; message: string } {
  const path = i.path.map(String);
  if (i.code === "invalid_key" && path.length > 0) {
    const key = JSON.stringify(clipUtf8(path.pop() as string, KEY_ECHO_BYTES));
    const rule = i.issues[0]?.message ?? i.message;
    return { path: clipUtf8([where, ...path].join(".")), message: clipUtf8(`key ${key}: ${rule}`) };
  }
  return { path: clipUtf8([where, ...path].join(".")), message: clipUtf8(i.message) };
}

/** A zod failure as `validation_failed`, echoing at most ISSUES_ECHOED issues of bounded size (core/bytes). */
export function fromZod(where: string, error: ZodError): DomainError {
  const issues = error.issues.slice(0, ISSUES_ECHOED).map((i) => issueOf(where, i));
  const first = issues[0];
  const more = error.issues.length - 1;
  return new DomainError(
    "validation_failed",
    first ? `${first.path}: ${first.message}${more > 0 ? ` (and ${more} more)` : ""}` : where,
    { issues },
  );
}

/**
 * The platform's own transient failure of a Durable Object call, as `unavailable` (503) with the seconds to wait, or
 * undefined. The runtime marks such errors `.overloaded` (too much queued at the object: retrying at once adds load)
 * or `.retryable` (the object restarting or moving, a connection lost) — Cloudflare, "Durable Objects: error
 * handling". No bug of ours and no bad input, so not the 500 "unexpected error" they were. The wait is also in the
 * problem (`retryAfterSeconds`, as the feeds' 429 carries it) for clients that read only the body: the CLI's.
 */
export function transientFailure(err: unknown): { error: DomainError; retryAfterS: number } | undefined {
  const e = err as { overloaded?: unknown; retryable?: unknown } | null;
  if (typeof e !== "object" || e === null) return undefined;
  if (e.overloaded === true)
    return {
      error: new DomainError("unavailable", "the product's coordinator is overloaded; send the request again later", {
        retryAfterSeconds: 5,
      }),
      retryAfterS: 5,
    };
  if (e.retryable === true)
    return {
      error: new DomainError(
        "unavailable",
        "the product's coordinator could not be reached just now (restarting or moving); a write may or may not have " +
          "taken effect: send it again with the same Idempotency-Key, or read before repeating it",
        { retryAfterSeconds: 1 },
      ),
      retryAfterS: 1,
    };
  return undefined;
}

/** Hono's onError: domain errors → 4xx; the platform's transient failures → 503 with Retry-After; the rest → 500. */
export function onError(err: unknown, c: Context): Response {
  if (err instanceof DomainError) return problemResponse(c, err);
  if (err instanceof z.ZodError) return problemResponse(c, fromZod("body", err));
  const transient = transientFailure(err);
  if (transient) {
    console.warn(`transient platform failure: ${String(err)}`);
    return problemResponse(c, transient.error); // its Retry-After from its retryAfterSeconds
  }
  console.error("unhandled error", err);
  return c.body(
    JSON.stringify({
      type: "https://gigafactory.dev/problems/internal",
      title: "Internal error",
      status: 500,
      detail: "the coordinator hit an unexpected error; it has been logged",
      code: "internal",
    } satisfies Problem),
    500,
    { "content-type": "application/problem+json" },
  );
}
