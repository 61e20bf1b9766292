/**
 * @module agent/rest
 * The agent's REST calls beside its WebSocket — enrollment and artifact
 * upload — over the shared typed client (shared/http-client). Kept as a thin
 * adapter so the rest of the agent sees one error type, `RestError`, whose
 * `code` tells "refused token" from "server down" (`unreachable`).
 */
import { deadline } from "../shared/deadline.ts";
import {
  ApiError,
  BadAnswerError,
  ConnectionError,
  type Enrolled,
  GigafactoryClient,
  ResponseTimeoutError,
} from "../shared/http-client.ts";

export type { Enrolled };

export class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /**
   * The refusal is the coordinator's own problem+json (shared/http-transport `ApiError.fromCoordinator`): only then do
   * its status and code say what the coordinator decided — an access gateway's 403 page refused no enrollment code.
   */
  readonly fromCoordinator: boolean;
  /** No connection was ever made (refused, no such host): the request never left, so nothing of it was taken. */
  readonly unsent: boolean;
  constructor(status: number, code: string, detail: string, fromCoordinator = false, unsent = false) {
    super(`${code}: ${detail}`);
    this.name = "RestError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.fromCoordinator = fromCoordinator;
    this.unsent = unsent;
  }
}

/** The socket errors of a connection never made: a request that met one was not sent. */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Whether `err` (fetch's TypeError, its cause: one error or, for a name of two addresses, an AggregateError) never connected. */
function neverConnected(err: ConnectionError): boolean {
  const outer = err.cause as (Error & { cause?: unknown }) | undefined;
  const inner = (outer?.cause ?? outer) as { code?: unknown; errors?: unknown } | undefined;
  const codes = Array.isArray(inner?.errors) ? inner.errors.map((e) => (e as { code?: unknown })?.code) : [inner?.code];
  return codes.length > 0 && codes.every((c) => typeof c === "string" && NEVER_CONNECTED.has(c));
}

export interface RestTarget {
  url: string;
  product: string;
  token: string;
}

/** 30 s: enrollment is one small request; a coordinator or proxy that takes the connection and never answers must
 * not hang `enroll` (the CLI's default bound, shared/http-client-base `responseTimeoutMs`). */
const ENROLL_TIMEOUT_MS = 30_000;

/** 60 s: the base bound of a request (an upload's grows with its size: `uploadTimeoutMs`). */
const REQUEST_TIMEOUT_MS = 60_000;

/** 128 KiB/s (~1 Mbit/s): the slowest uplink an upload is waited on for, beyond the base bound. */
const MIN_UPLOAD_BYTES_PER_S = 128 * 1024;

/**
 * The bound of an upload of `bytes` (ms): 60 s plus the bytes at 128 KiB/s — 260 s for a 25 MiB artifact. A flat
 * 60 s needed 3.5 Mbit/s for the largest artifact, so a host on a slower uplink failed every try of its log or diff
 * (retried, then lost), though the link was working all along.
 */
export function uploadTimeoutMs(bytes: number): number {
  return REQUEST_TIMEOUT_MS + Math.ceil((bytes / MIN_UPLOAD_BYTES_PER_S) * 1000);
}

async function translate<T>(fn: () => Promise<T>, boundMs = REQUEST_TIMEOUT_MS): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw new RestError(err.status, err.code, err.detail, err.fromCoordinator);
    if (err instanceof ConnectionError) throw new RestError(0, "unreachable", err.message, false, neverConnected(err));
    if (err instanceof ResponseTimeoutError) throw new RestError(0, "timeout", `no answer within ${boundMs / 1000} s`);
    if (err instanceof Error && err.name === "TimeoutError")
      throw new RestError(0, "timeout", `not done within ${Math.round(boundMs / 1000)} s`);
    // A 2xx that is not the coordinator's JSON (a proxy's page, a redirect, a body past the client's bound): the
    // agent's `enroll` reported it as its own bug, with a stack (main's "internal"), and an upload as a parser's words.
    if (err instanceof BadAnswerError) throw new RestError(0, "bad_response", `${err.message}; ${IS_IT_OURS}`);
    if (err instanceof SyntaxError) throw new RestError(0, "bad_response", notCoordinator(err.message));
    throw err;
  }
}

/**
 * Exchange an enrollment code (`t.token` = `gfe_…`, or an operator token) for a factory token. Throws RestError:
 * the coordinator's refusal, `unreachable`, or `timeout` when no answer starts within `timeoutMs` (default 30 s).
 */
export function enroll(
  t: RestTarget,
  body: { name: string; capabilities: string[]; seats: number; nonce?: string },
  timeoutMs = ENROLL_TIMEOUT_MS,
): Promise<Enrolled> {
  const c = new GigafactoryClient({ url: t.url, product: t.product, token: t.token, responseTimeoutMs: timeoutMs });
  // Its 2xx answer is checked by the caller, before anything is saved (agent/enroll-answer); an unparsable one is
  // `bad_response` here (`translate`).
  return translate(() => c.enroll(body), timeoutMs);
}

/** A `bad_response` detail: what was wrong, and that the answer came from something other than a coordinator. */
const notCoordinator = (what: string): string => `the answer is not the coordinator's (${what}): ${IS_IT_OURS}`;
/** A BadAnswerError says whose the answer is not itself (shared/http-transport): this is asked after it. */
const IS_IT_OURS = "is --url a Gigafactory coordinator, not a proxy or another service?";

export interface ArtifactInfo {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
}

/**
 * Upload one artifact of the job we hold at `leaseEpoch`. `body` is sent byte for byte: a patch of Latin-1 files is
 * not UTF-8, and decoding it to a string would replace its bytes. `bound` (ms) ends the whole exchange, upload and
 * answer (default `uploadTimeoutMs` of its size), decided after a poll. Throws RestError (`timeout` past `bound`).
 */
export function uploadArtifact(
  t: RestTarget,
  jobId: string,
  leaseEpoch: number,
  name: string,
  body: string | Uint8Array,
  contentType: string,
  bound = uploadTimeoutMs(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength),
): Promise<ArtifactInfo> {
  return translate(async () => {
    // The shared client sends text bodies; bytes go in through its fetch hook, with its auth and error mapping.
    const bytes = typeof body === "string" ? undefined : body;
    const c = new GigafactoryClient({
      url: t.url,
      product: t.product,
      token: t.token,
      ...(bytes ? { fetch: (input, init) => globalThis.fetch(input, { ...init, body: bytes }) } : {}),
    });
    const url = c.productUrl(`/jobs/${encodeURIComponent(jobId)}/artifacts`, { name, leaseEpoch });
    // Not AbortSignal.timeout: it aborts in the timers phase, so with the loop held past the bound an answer already in
    // the socket was thrown away as `timeout` and the artifact uploaded again. This bound decides after a poll.
    const due = deadline(bound, () => new DOMException(`not done within ${bound} ms`, "TimeoutError"));
    try {
      const res = await c.send("POST", url, {
        text: typeof body === "string" ? body : "",
        headers: { "content-type": contentType },
        signal: due.signal,
      });
      return (await res.json()) as ArtifactInfo;
    } finally {
      due.stop();
    }
  }, bound);
}

/**
 * Declares the capabilities this factory offers now (its HTTP beat, `POST /factories/heartbeat`): an engine it
 * withdrew or offers again (agent/engine-offer), without a new `hello`. Throws RestError.
 */
export function declareCapabilities(t: RestTarget, capabilities: string[]): Promise<unknown> {
  const c = new GigafactoryClient({
    url: t.url,
    product: t.product,
    token: t.token,
    responseTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  return translate(() => c.heartbeat({ capabilities }));
}
