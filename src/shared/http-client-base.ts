/**
 * @module shared/http-client-base
 * The REST client's plumbing: origin, token and product bound at construction, one HTTP exchange, JSON calls.
 * Connection failures are retried only with a `retry` backoff; an answer that does not start within
 * `responseTimeoutMs` is abandoned (`ResponseTimeoutError`, never retried); a redirect is not followed and a 2xx body
 * read whole stops at `maxAnswerBytes` (`BadAnswerError`, never retried). Kept apart from shared/http-client, whose
 * `GigafactoryClient` extends this class with one method per endpoint.
 */
import { deadline } from "./deadline.ts";
import { EXIT_USAGE, FixableError } from "./fixable-error.ts";
import { foreignJsonCharset, redirectText } from "./foreign-answer.ts";
import { MAX_ANSWER_BYTES, readAtMost } from "./http-answer-body.ts";
import type { ClientOptions } from "./http-client-types.ts";
import {
  apiErrorOf,
  type Backoff,
  BadAnswerError,
  backoffMs,
  ConnectionError,
  ResponseTimeoutError,
  sleep,
} from "./http-transport.ts";
import { JsonAnswer } from "./json-answer.ts";

type Query = Record<string, string | number | undefined>;
export interface Send {
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * The caller reads the body as it comes (a job feed, an artifact): only the answer's start is bounded. Otherwise
   * a 2xx body is read here, within a second `responseTimeoutMs`, so a server that sends headers and then stalls
   * cannot hang a JSON read either.
   */
  stream?: boolean;
}

export class ApiClientBase {
  readonly url: string;
  readonly product: string;
  private readonly token: string;
  private readonly retry?: Backoff;
  private readonly fetchFn: typeof fetch;
  private readonly responseTimeoutMs: number;
  private readonly maxAnswerBytes: number;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    this.token = opts.token;
    this.product = opts.product;
    this.retry = opts.retry;
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.responseTimeoutMs = opts.responseTimeoutMs ?? 0;
    this.maxAnswerBytes = opts.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  }

  /**
   * The absolute URL of `path` under this product, with the query's defined values.
   * @throws FixableError usage — a segment (an id, a name, the product) of `.` or `..`: no URL path can carry one
   */
  productUrl(path: string, query: Query = {}): string {
    const full = `/${enc(this.product)}${path}`;
    // The URL parser resolves dot segments (`%2e` too): `jobs/..` went out as another route, and its 404 or 405 said
    // to check --url or report a CLI bug. Refused here, before anything is sent, for every endpoint at once.
    const dots = full.split("/").find((seg) => DOT_SEGMENT.test(seg));
    if (dots !== undefined) {
      const what = `${JSON.stringify(decodeURIComponent(dots))} cannot be an id, a name or a product in a URL path`;
      throw new FixableError("usage", what, "give the real one: `.` and `..` never name anything", EXIT_USAGE);
    }
    const u = new URL(`${this.url}/api/v1/products${full}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * One exchange: 2xx → the Response; 3xx → BadAnswerError (not followed); any other status → ApiError; no answer →
   * ConnectionError once the retries (if any) are spent; no answer started within `responseTimeoutMs`, or (unless
   * `stream`) a body not read within it again → ResponseTimeoutError; a 2xx body past `maxAnswerBytes` (unless
   * `stream`) → BadAnswerError. A retried POST is safe only when it never reached the server or is
   * idempotent — which is why retrying is opt-in, and submissions carry idempotency keys.
   */
  async send(method: string, url: string, opts: Send = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...opts.headers };
    if (opts.json !== undefined) headers["content-type"] = "application/json";
    const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.text;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      const guard = startGuard(this.responseTimeoutMs, opts.signal);
      try {
        // Not followed: across origins fetch drops the token (a 401 from the new host then blamed it), a 301 or 302
        // turned a POST into a GET whose 2xx read as the write's answer, and a 307 took the body elsewhere.
        res = await this.fetchFn(url, { method, headers, body, signal: guard.signal, redirect: "manual" });
      } catch (err) {
        guard.stop();
        if (guard.timedOut()) throw new ResponseTimeoutError(url, this.responseTimeoutMs, undefined, method);
        if (opts.signal?.aborted) throw err;
        if (!this.retry || attempt + 1 >= this.retry.maxAttempts) throw new ConnectionError(url, err, attempt + 1);
        await sleep(backoffMs(attempt, this.retry), opts.signal);
        continue;
      }
      if (res.status >= 300 && res.status < 400) {
        guard.stop();
        res.body?.cancel().catch(() => {});
        throw redirected(url, res);
      }
      if (res.ok && opts.stream) {
        guard.stop();
        return res;
      }
      if (!res.ok) throw await this.refusal(res, guard);
      return await this.readWhole(res, url, guard, method, opts.signal);
    }
  }

  /**
   * A non-2xx answer as its ApiError, its body read within a fresh `responseTimeoutMs` and at most MAX_ERROR_BODY_BYTES
   * of it: a 503 whose body stalled hung the CLI past --timeout (a watch's reconnect for ever), and one whose body
   * never ended was read into memory whole. What arrived in time is what the error says.
   */
  private async refusal(res: Response, guard: Guard): Promise<Error> {
    guard.restart();
    // Cut short (the bound passed, the connection broke): the status and what came are still the answer.
    const body = await readAtMost(res.body, MAX_ERROR_BODY_BYTES, true).finally(() => guard.stop());
    const init = { status: res.status, statusText: res.statusText, headers: res.headers };
    return apiErrorOf(new Response(body.bytes.length > 0 ? body.bytes : null, init), body.over, [this.token]);
  }

  /**
   * A 2xx answer's body read whole under a fresh `responseTimeoutMs`, as a Response the caller can read again; at most
   * `maxAnswerBytes` of it (BadAnswerError past that: a body of a gigabyte, or one that never ends, was read into
   * memory until the process died when no time bound was set, and for as long as the bound when one was).
   */
  private async readWhole(
    res: Response,
    url: string,
    guard: Guard,
    method: string,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    guard.restart();
    let body: Awaited<ReturnType<typeof readAtMost>>;
    try {
      body = await readAtMost(res.body, this.maxAnswerBytes);
    } catch (err) {
      if (guard.timedOut()) throw new ResponseTimeoutError(url, this.responseTimeoutMs, "its body stalled", method);
      // The caller's own signal (its deadline, ^C) ends the read as it ends the request: not a connection failure.
      if (signal?.aborted) throw err;
      // A connection that breaks mid-body is a connection failure too, not a malformed answer.
      throw new ConnectionError(url, err, 1);
    } finally {
      guard.stop();
    }
    if (body.over)
      throw new BadAnswerError(url, `its body passed ${this.maxAnswerBytes} bytes and was read no further`);
    // Read as UTF-8 by every caller (`res.json()`): JSON in another charset is none the coordinator sends (RFC 8259
    // §8.1), and its text would be read as other characters than were sent.
    const charset = foreignJsonCharset(res.headers.get("content-type"));
    if (charset !== undefined) throw new BadAnswerError(url, `its JSON is declared charset=${charset}, not UTF-8`);
    const init = { status: res.status, statusText: res.statusText, headers: res.headers };
    return new JsonAnswer(body.bytes.length > 0 ? body.bytes : null, init, url, [this.token]);
  }

  /** A JSON call under the product: protected, so the endpoints of `GigafactoryClient` use it and callers cannot. */
  protected async call<T>(method: string, path: string, opts: Send & { query?: Query } = {}): Promise<T> {
    const url = this.productUrl(path, opts.query);
    // Read whole by `send`: a JsonAnswer, which says what came when it is not JSON.
    return (await ((await this.send(method, url, opts)) as JsonAnswer).jsonOrNull<T>()) as T;
  }
}

const enc = encodeURIComponent;

/**
 * A 3xx answer as the error it is (shared/foreign-answer redirectText): not followed, as across origins fetch drops
 * the token (a 401 from the new host then blamed it), a 301 or 302 turns a POST into a GET whose 2xx reads as the
 * write's answer, and a 307 takes the body elsewhere.
 */
function redirected(url: string, res: Response): BadAnswerError {
  return new BadAnswerError(url, redirectText(res.status, res.statusText, res.headers.get("location")));
}
/** 1 MiB: a problem document is a few hundred bytes; a refusal's body is read no further than this. */
export const MAX_ERROR_BODY_BYTES = 1024 * 1024;
/** A path segment the URL parser resolves away: `.` or `..`, percent-encoded or not. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** The signal one attempt runs under, and its timer. */
interface Guard {
  signal?: AbortSignal;
  timedOut(): boolean;
  /** Starts the bound again from now (for the body, once the headers are in). */
  restart(): void;
  stop(): void;
}

/**
 * The caller's signal, and aborted `ms` after the start (or the last `restart`) unless `stop` came first
 * (0 = never). Stopped once the headers are in, it leaves a streamed body (a feed, a download) unbounded. The bound
 * decides after a poll (shared/deadline): an answer already in the socket when a held loop let the timer fire is read
 * first, and the exchange that then stops the guard keeps it.
 */
function startGuard(ms: number, outer: AbortSignal | undefined): Guard {
  if (ms <= 0) return { signal: outer, timedOut: () => false, restart: () => {}, stop: () => {} };
  const bound = deadline(ms, () => new Error(`no answer within ${ms} ms`));
  return {
    signal: outer ? AbortSignal.any([outer, bound.signal]) : bound.signal,
    timedOut: () => bound.fired() && !outer?.aborted,
    restart: bound.restart,
    stop: bound.stop,
  };
}
