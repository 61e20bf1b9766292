/**
 * @module shared/http-transport
 * What the REST client (shared/http-client) stands on, apart from its endpoints: the error an HTTP answer becomes
 * (`ApiError`, from problem+json), a failed connection becomes (`ConnectionError`) or an answer that never started
 * becomes (`ResponseTimeoutError`), an answer that cannot be the coordinator's becomes (`BadAnswerError`), the retry
 * backoff for connection failures, the product a token names, and an abortable sleep. Shared by the CLI and the agent.
 */

import { foreignAnswerText, foreignJsonCharset, statusWords } from "./foreign-answer.ts";
import { isCoordinatorProblem, namelessProblemText, problemWordsOf } from "./problem-words.ts";
import { hideKnown } from "./redact-known.ts";

/**
 * An HTTP error answer; `code` is the problem's stable code (`http_<status>` when the body was not problem+json or its
 * code is not of the API's snake_case shape).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly body: unknown;
  /**
   * The answer is a problem as the coordinator writes them (shared/problem-words isCoordinatorProblem): only then do
   * its `code` and details mean what the coordinator's do — a proxy's `{"code": "bad_gateway"}` names a code too.
   */
  readonly fromCoordinator: boolean;
  /** The answer's Content-Range, when it had one: a 416's `bytes *\/N` names the whole's length (RFC 9110 §14.4). */
  readonly contentRange: string | undefined;
  /** The answer's own Retry-After as sent (core/backoff `retryAfterSeconds` reads it): each refusal its own. */
  readonly retryAfter: string | undefined;

  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    body: unknown,
    fromCoordinator = true,
    contentRange?: string,
    retryAfter?: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.body = body;
    this.fromCoordinator = fromCoordinator;
    this.contentRange = contentRange;
    this.retryAfter = retryAfter;
  }
}

/**
 * Whether `err` is the coordinator's own refusal (its problem+json: `fromCoordinator`) with code `code`: the only
 * answer whose code means what the coordinator's does. Another server's JSON may name `not_found`, `unauthorized` or
 * `validation_failed` too — a wrong URL's `{"code": "not_found"}` 404 was read as "No budget is set".
 */
export function coordinatorRefused(err: unknown, code: string): err is ApiError {
  return err instanceof ApiError && err.fromCoordinator && err.code === code;
}

/** The coordinator could not be reached at all (refused, reset, DNS) — after `attempts` tries. */
export class ConnectionError extends Error {
  readonly url: string;
  readonly attempts: number;

  constructor(url: string, cause: unknown, attempts: number) {
    super(`cannot reach ${url}: ${plainHttpHint(url, cause) ?? reasonOf(cause)}`, { cause });
    this.name = "ConnectionError";
    this.url = url;
    this.attempts = attempts;
  }
}

/**
 * Why a connection failed, from fetch's `TypeError("fetch failed")` and its cause, or a socket's own error (the
 * agent's WebSocket). A name with two addresses (`localhost` as ::1 and 127.0.0.1, the usual `npm start` URL) that
 * both refuse fails as an AggregateError whose message is empty: "cannot reach http://localhost:8787/…: " said
 * nothing. Its errors' own messages say it, else its code.
 */
export function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner: Error & { code?: unknown; errors?: unknown } = (cause.cause as Error | undefined) ?? cause;
  if (inner.message) return inner.message;
  const each = Array.isArray(inner.errors) ? inner.errors.map((e) => (e instanceof Error ? e.message : String(e))) : [];
  const said = [...new Set(each.filter(Boolean))].join("; ");
  return said || (typeof inner.code === "string" ? inner.code : "") || cause.message;
}

/**
 * An https:// URL whose server answered no TLS handshake is most often a plain-HTTP coordinator (`npm start` and
 * `npm run dev` serve http://): OpenSSL's "tls_validate_record_header:wrong version number:../deps/…" or undici's
 * 10-second connect timeout said nothing of that. Undefined for any other failure.
 */
function plainHttpHint(url: string, cause: unknown): string | undefined {
  if (!url.startsWith("https://")) return undefined;
  const inner =
    cause instanceof Error ? ((cause.cause as (Error & { code?: string }) | undefined) ?? cause) : undefined;
  const code = (inner as { code?: string } | undefined)?.code ?? "";
  const text = inner?.message ?? "";
  const http = url.replace(/^https:/, "http:").replace(/^(http:\/\/[^/]+).*$/, "$1");
  if (code.startsWith("ERR_SSL_") || /SSL routines|wrong version number/.test(text)) {
    return `no TLS handshake (${code || "SSL error"}): the server speaks plain HTTP? Use ${http}`;
  }
  if (code === "UND_ERR_CONNECT_TIMEOUT") {
    return `no connection and no TLS handshake within the connect timeout; if the coordinator serves plain HTTP (as \`npm start\` does), use ${http}`;
  }
  return undefined;
}

/**
 * The server took the request (or the connection) but no answer started within `timeoutMs` — a hung coordinator,
 * a proxy holding the connection open — or a JSON answer's body stalled as long after it started. Never retried:
 * the request may have reached the server.
 */
export class ResponseTimeoutError extends Error {
  readonly url: string;
  /** The bound that passed, in milliseconds. */
  readonly timeoutMs: number;
  /** The request's method: a write that timed out may still have been applied. */
  readonly method: string;
  /** The answer had started (its body stalled), so the coordinator did answer. */
  readonly started: boolean;

  /** `what`: how the bound passed, when not "no answer" (e.g. "its body stalled"). */
  constructor(url: string, timeoutMs: number, what?: string, method = "GET") {
    super(
      what
        ? `the answer from ${url} started, then ${what} for ${timeoutMs / 1000} s`
        : `no answer from ${url} within ${timeoutMs / 1000} s`,
    );
    this.name = "ResponseTimeoutError";
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.method = method.toUpperCase();
    this.started = what !== undefined;
  }
}

/**
 * A 2xx answer that cannot be one of the coordinator's (its body passed shared/http-answer-body MAX_ANSWER_BYTES), or a
 * redirect, which the coordinator never sends. A SyntaxError, as an unparsable answer is: callers that report those as
 * "not the coordinator's answer" (cli/errors `bad_response`, agent/rest) report this one so too. Never retried.
 */
export class BadAnswerError extends SyntaxError {
  readonly url: string;

  /** `what`: what was wrong with the answer, e.g. "its body passed 134217728 bytes". */
  constructor(url: string, what: string) {
    super(`the answer from ${url} is no coordinator's: ${what}`);
    this.name = "BadAnswerError";
    this.url = url;
  }
}

/** Capped exponential backoff (the partysocket model): min · factor^attempt, at most max, ± jitter. */
export interface Backoff {
  maxAttempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** 0..1: fraction of the delay randomised, so a fleet that lost the server does not return in lockstep. */
  jitter: number;
}

/** 10 tries from 250 ms doubling to 10 s: rides out a coordinator restart (~30 s) without hammering it. */
export const DEFAULT_BACKOFF: Readonly<Backoff> = {
  maxAttempts: 10,
  minDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

/** Delay before retry number `attempt` (0-based). `random` is injectable so tests are exact. */
export function backoffMs(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const base = Math.min(b.maxDelayMs, b.minDelayMs * b.factor ** Math.max(0, attempt));
  return Math.round(base * (1 - b.jitter + 2 * b.jitter * random()));
}

/** `gf_<product>_<secret>` → product; undefined for any other token (the admin token names no product). */
export function productFromToken(token: string): string | undefined {
  return /^gf_([a-z0-9][a-z0-9-]{0,62})_[A-Za-z0-9_-]{43}$/.exec(token)?.[1];
}

/** A problem's `code` as the API writes them (snake_case, at most 64 characters). */
const API_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * A non-2xx response as an ApiError, from its problem+json body when it has one. A body that is not JSON (a web
 * server's or a proxy's page), or JSON declared in a charset JSON is never sent in, is no coordinator's: its detail
 * says what it was (shared/foreign-answer), where it echoed its first 200 characters of markup. `more`: the body was
 * read no further than what `res` holds. Its `body` is then the text. `known`: the secrets the request sent (its
 * token), hidden before the markup is taken out, which could part an echoed token where a cut-short one is not known.
 */
export async function apiErrorOf(res: Response, more = false, known: readonly string[] = []): Promise<ApiError> {
  const bytes = new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
  const text = new TextDecoder().decode(bytes);
  let body: unknown = text;
  let json = text === "";
  try {
    body = text ? (JSON.parse(text) as unknown) : null;
    json = true;
  } catch {
    /* not JSON (a proxy's error page): keep the text */
  }
  const contentType = res.headers.get("content-type");
  const range = res.headers.get("content-range") ?? undefined;
  const wait = res.headers.get("retry-after") ?? undefined;
  const seen = { status: res.status, statusText: res.statusText, contentType, bytes: bytes.length, more };
  if (!json || foreignJsonCharset(contentType) !== undefined) {
    const detail = `not a Gigafactory answer: ${foreignAnswerText({ ...seen, text: hideKnown(text, known) })}`;
    return new ApiError(res.status, `http_${res.status}`, `HTTP ${res.status}`, detail, text, false, range, wait);
  }
  const p = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const str = (v: unknown, fallback: string): string => (typeof v === "string" && v ? v : fallback);
  // JSON with no detail: its own words (a title, another server's `error` or `message`), else one line saying what
  // it was — it was 200 characters of the raw JSON; an empty body, `HTTP 404 Not Found` as the agent's socket says it.
  const said = text === "" ? statusWords(res.status, res.statusText) : problemWordsOf(body);
  // Of the API's shape (core/errors ERROR_CODES: snake_case), else the status's: a server's `"code": "x\n✔ enrolled"`
  // or a paragraph became the agent's ✘ ERROR code and its --json `code` (the CLI checked this itself, cli/errors).
  const code = typeof p.code === "string" && API_CODE.test(p.code) ? p.code : `http_${res.status}`;
  // A body naming only its code (`{"code":"invalid_token"}`) said it twice: `✘ ERROR invalid_token: invalid_token`.
  const detail = said === code ? statusWords(res.status, res.statusText) : (said ?? namelessProblemText(seen));
  const ours = isCoordinatorProblem(body, contentType);
  return new ApiError(res.status, code, str(p.title, `HTTP ${res.status}`), detail, body, ours, range, wait);
}

/**
 * Waits `ms`, or rejects as soon as `signal` aborts. Its abort listener goes when the wait ends: a watch's one signal
 * outlives every reconnect's wait, and each left one behind (with its closure) for as long as the watch ran.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}
