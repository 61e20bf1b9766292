/**
 * @module shared/http-client
 * A small typed client for the Gigafactory REST API (`/api/v1`), shared by the
 * operator CLI and the factory agent: one method per endpoint, bearer token and
 * product bound at construction, problem+json answers thrown as `ApiError`.
 * Only connection failures are retried, and only when the caller asks: an HTTP
 * answer of any status is the server's word and goes back to the caller as is.
 * No console output and no process control here — callers decide what to say.
 * Wire types are imported as types only (erased at run time), so the server's
 * definitions stay the single source of truth without pulling server code in.
 */
import type { z } from "zod";
import type { Factory, Job, Stage } from "../core/model.ts";
import type { ReviewsView } from "../core/review.ts";
import type { Candidate } from "../core/router.ts";
import type { SerialGate } from "../core/serial-gates.ts";
import type { ProductSettings, SettingsPatch } from "../core/settings.ts";
import type { JOB_ACTIONS, PatchJobBody } from "./api.ts";
import type { BatchView } from "./api-batches.ts";
import { apiErrorOf, type Backoff, backoffMs, ConnectionError, sleep } from "./http-transport.ts";
import type { JobEvent } from "./protocol.ts";
import type {
  Explanation,
  FactoryBreaker,
  FactoryWithBreakers,
  JobPage,
  JobView,
  Lease,
  Run,
  TokenInfo,
  TreeNode,
} from "./responses.ts";

export {
  ApiError,
  apiErrorOf,
  type Backoff,
  backoffMs,
  ConnectionError,
  DEFAULT_BACKOFF,
  productFromToken,
  sleep,
} from "./http-transport.ts";
export type {
  Candidate,
  Explanation,
  Factory,
  FactoryBreaker,
  FactoryWithBreakers,
  Job,
  JobEvent,
  JobPage,
  Lease,
  ReviewsView,
  Run,
  SerialGate,
  TokenInfo,
  TreeNode,
};
export type JobAction = (typeof JOB_ACTIONS)[number];
export type SubmitInput = { markdown: string } | { manifest: Record<string, unknown>; bodyMd?: string };
export type HistoryQuery = { kind?: "snapshots" | "runs" | "audit"; jobId?: string; since?: number; limit?: number };
export type Enrolled = { factoryId: string; token: string; factory: Factory };
/** A product as `GET /api/v1/products` lists it; `createdAt` in ms since the epoch. */
export type ProductInfo = { id: string; createdAt: number };

/** One dead letter as GET …/dead-letters lists it. */
export interface DeadLetterView {
  id: string;
  productId: string;
  /** `outbox:<kind>` (the coordinator gave up delivering a record), `queue:<kind>`, `batch:…`, `tracker:…`. */
  source: string;
  reason: string;
  body: unknown;
  attempts: number;
  /** ms since the epoch */
  at: number;
}

export interface ClientOptions {
  /** The coordinator's origin, e.g. `https://gf.example.com` (a trailing `/` is fine). */
  url: string;
  token: string;
  product: string;
  /** Retry connection failures with this backoff; absent = fail on the first one. */
  retry?: Backoff;
  /** Injected for tests and for runtimes with their own fetch. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;
interface Send {
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class GigafactoryClient {
  readonly url: string;
  readonly product: string;
  private readonly token: string;
  private readonly retry?: Backoff;
  private readonly fetchFn: typeof fetch;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    this.token = opts.token;
    this.product = opts.product;
    this.retry = opts.retry;
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The absolute URL of `path` under this product, with the query's defined values. */
  productUrl(path: string, query: Query = {}): string {
    const u = new URL(`${this.url}/api/v1/products/${enc(this.product)}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * One exchange: 2xx → the Response; any other status → ApiError; no answer → ConnectionError once the retries
   * (if any) are spent. A retried POST is safe only when it never reached the server or is idempotent — which is
   * why retrying is opt-in, and submissions carry idempotency keys.
   */
  async send(method: string, url: string, opts: Send = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...opts.headers };
    if (opts.json !== undefined) headers["content-type"] = "application/json";
    const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.text;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFn(url, { method, headers, body, signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        if (!this.retry || attempt + 1 >= this.retry.maxAttempts) throw new ConnectionError(url, err, attempt + 1);
        await sleep(backoffMs(attempt, this.retry), opts.signal);
        continue;
      }
      if (res.ok) return res;
      throw await apiErrorOf(res);
    }
  }

  private async call<T>(method: string, path: string, opts: Send & { query?: Query } = {}): Promise<T> {
    const url = this.productUrl(path, opts.query);
    const res = await this.send(method, url, opts);
    // A connection that breaks mid-body is a connection failure too, not a malformed answer.
    const text = await res.text().catch((err: unknown) => Promise.reject(new ConnectionError(url, err, 1)));
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Unauthenticated liveness of the coordinator and its D1. */
  async health(): Promise<{ status: string; d1: string; at: string }> {
    return (await (await this.send("GET", `${this.url}/api/v1/health`)).json()) as {
      status: string;
      d1: string;
      at: string;
    };
  }

  // ---- products: admin, above any one product ----

  /** Create product `id` (idempotent); `created` is false when it already existed (200). */
  async createProduct(id: string): Promise<{ product: ProductInfo; created: boolean }> {
    const res = await this.send("POST", `${this.url}/api/v1/products`, { json: { id } });
    return { product: (await res.json()) as ProductInfo, created: res.status === 201 };
  }

  async listProducts(): Promise<ProductInfo[]> {
    const res = await this.send("GET", `${this.url}/api/v1/products`);
    return ((await res.json()) as { products: ProductInfo[] }).products;
  }

  // ---- jobs: operators and viewers ----

  /** Markdown goes up verbatim as `text/markdown` (the server parses it); `replayed` = an idempotent replay (200). */
  async submit(input: SubmitInput, idempotencyKey?: string): Promise<{ job: Job; replayed: boolean }> {
    const headers: Record<string, string> = idempotencyKey ? { "idempotency-key": idempotencyKey } : {};
    const opts: Send =
      "markdown" in input
        ? { headers: { ...headers, "content-type": "text/markdown; charset=utf-8" }, text: input.markdown }
        : { headers, json: { manifest: input.manifest, bodyMd: input.bodyMd ?? "" } };
    const res = await this.send("POST", this.productUrl("/jobs"), opts);
    return { job: (await res.json()) as Job, replayed: res.headers.get("idempotent-replayed") === "true" };
  }
  /** Newest first; pass `nextCursor` back as `cursor` for the next page. */
  listJobs(q: { stage?: Stage; limit?: number; cursor?: string } = {}): Promise<JobPage> {
    return this.call("GET", "/jobs", { query: q });
  }
  getJob(id: string): Promise<JobView> {
    return this.call("GET", `/jobs/${enc(id)}`);
  }
  explain(id: string): Promise<Explanation> {
    return this.call("GET", `/jobs/${enc(id)}/explain`);
  }
  /** A job's subtree (composite children, recursively), bounded by the server. */
  jobTree(id: string): Promise<{ root: TreeNode }> {
    return this.call("GET", `/jobs/${enc(id)}/tree`);
  }
  async listRuns(id: string): Promise<Run[]> {
    return (await this.call<{ runs: Run[] }>("GET", `/jobs/${enc(id)}/runs`)).runs;
  }
  action(id: string, action: JobAction, body: { reviewer?: string; note?: string } = {}): Promise<Job> {
    return this.call("POST", `/jobs/${enc(id)}/actions/${action}`, { json: body });
  }
  /** One page of a job's event log, oldest first, strictly after `after`. */
  listEvents(id: string, q: { after?: number; limit?: number } = {}): Promise<{ events: JobEvent[]; lastSeq: number }> {
    return this.call("GET", `/jobs/${enc(id)}/events`, { query: q });
  }
  /** The job's live SSE feed from after `after` (sent as `Last-Event-ID` and `?after=`); the caller reads the body. */
  openEventStream(id: string, opts: { after?: number; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (opts.after !== undefined) headers["last-event-id"] = String(opts.after);
    const url = this.productUrl(`/jobs/${enc(id)}/events/stream`, { after: opts.after });
    return this.send("GET", url, { headers, signal: opts.signal });
  }
  /** A bulk batch by the `batchId` its `jobs:batch` answer gave: each item with its job once it exists (viewer). */
  getBatch(id: string): Promise<BatchView> {
    return this.call("GET", `/batches/${enc(id)}`);
  }
  queueState(): Promise<{ version: number }> {
    return this.call("GET", "/queue-state");
  }
  /** The product's settings, every key (viewer and above). */
  getSettings(): Promise<ProductSettings> {
    return this.call("GET", "/settings");
  }
  /** Merge `patch` into the product's settings (operator); answers the whole new record. */
  patchSettings(patch: SettingsPatch): Promise<ProductSettings> {
    return this.call("PATCH", "/settings", { json: patch });
  }
  history(q: HistoryQuery = {}): Promise<{ kind: string; items: Array<Record<string, unknown>> }> {
    return this.call("GET", "/history", { query: q });
  }
  /** What could not be delivered, newest first: from D1 and from the coordinator (operator). */
  deadLetters(q: { since?: number; limit?: number } = {}): Promise<{ items: DeadLetterView[] }> {
    return this.call("GET", "/dead-letters", { query: q });
  }

  // ---- fleet: operators ----

  /** The token in the answer is shown once; the server keeps only its hash. */
  enroll(body: { name: string; capabilities?: string[]; seats?: number }): Promise<Enrolled> {
    return this.call("POST", "/factories/enroll", { json: body });
  }
  /** A one-time code the agent on the host exchanges for its own factory token. */
  mintEnrollmentCode(body: { ttlSeconds?: number } = {}): Promise<{ id: string; code: string; expiresAt: number }> {
    return this.call("POST", "/factories/enrollment-codes", { json: body });
  }
  async listFactories(): Promise<FactoryWithBreakers[]> {
    return (await this.call<{ factories: FactoryWithBreakers[] }>("GET", "/factories")).factories;
  }
  /** Return a quarantined factory to active (operator; issue 9). */
  releaseFactory(id: string): Promise<FactoryWithBreakers> {
    return this.call("POST", `/factories/${enc(id)}/release`);
  }
  getFactory(id: string): Promise<Factory> {
    return this.call("GET", `/factories/${enc(id)}`);
  }
  setFactoryStatus(id: string, status: "active" | "draining" | "quarantined"): Promise<Factory> {
    return this.call("POST", `/factories/${enc(id)}/status`, { json: { status } });
  }
  /** Approve declared capabilities (all pending when none are named) and/or set the seat limit. */
  approveFactoryGrant(id: string, body: { capabilities?: string[]; seatLimit?: number } = {}): Promise<Factory> {
    return this.call("POST", `/factories/${enc(id)}/capabilities/approve`, { json: body });
  }
  rotateFactoryToken(id: string): Promise<Enrolled> {
    return this.call("POST", `/factories/${enc(id)}/token/rotate`);
  }
  revokeFactoryToken(id: string): Promise<Factory> {
    return this.call("POST", `/factories/${enc(id)}/token/revoke`);
  }
  deregisterFactory(id: string): Promise<{ requeued: number }> {
    return this.call("DELETE", `/factories/${enc(id)}`);
  }

  // ---- tokens: admin ----

  mintToken(body: { role: "operator" | "viewer"; name: string }): Promise<TokenInfo & { token: string }> {
    return this.call("POST", "/tokens", { json: body });
  }
  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call<{ tokens: TokenInfo[] }>("GET", "/tokens")).tokens;
  }
  revokeToken(id: string): Promise<TokenInfo> {
    return this.call("DELETE", `/tokens/${enc(id)}`);
  }

  // ---- work: factory tokens ----

  /** The next job for this factory with its lease, or null when there is none (204). */
  async claim(body: { leaseTtlSeconds?: number } = {}): Promise<{ job: Job; lease: Lease } | null> {
    const res = await this.send("POST", this.productUrl("/claim"), { json: body });
    return res.status === 204 ? null : ((await res.json()) as { job: Job; lease: Lease });
  }
  patchJob(id: string, body: z.input<typeof PatchJobBody>): Promise<Job> {
    return this.call("PATCH", `/jobs/${enc(id)}`, { json: body });
  }
  renewLease(id: string, body: { leaseEpoch: number; leaseTtlSeconds?: number }): Promise<Lease> {
    return this.call("POST", `/jobs/${enc(id)}/lease/renew`, { json: body });
  }
  releaseLease(id: string, body: { leaseEpoch: number }): Promise<Job> {
    return this.call("POST", `/jobs/${enc(id)}/lease/release`, { json: body });
  }
  heartbeat(
    body: { capabilities?: string[]; seats?: number } = {},
  ): Promise<{ factory: Factory; queueVersion: number; leases: Lease[] }> {
    return this.call("POST", "/factories/heartbeat", { json: body });
  }

  // ---- serial gates & reviews: operators (viewers read) ----
  /** One page of serial keys (key order); pass `nextCursor` back as `cursor`. */
  listSerialGates(q: { limit?: number; cursor?: string } = {}): Promise<{ keys: SerialGate[]; nextCursor?: string }> {
    return this.call("GET", "/serial", { query: q });
  }
  freezeSerialKey(key: string, reason: string): Promise<SerialGate> {
    return this.call("POST", `/serial/${enc(key)}/freeze`, { json: { reason } });
  }
  unfreezeSerialKey(key: string, reason?: string): Promise<SerialGate> {
    return this.call("POST", `/serial/${enc(key)}/unfreeze`, { json: reason ? { reason } : {} });
  }
  review(id: string, body: { verdict: "approve" | "reject"; comment?: string }): Promise<ReviewsView & { job: Job }> {
    return this.call("POST", `/jobs/${enc(id)}/reviews`, { json: body });
  }
  listReviews(id: string): Promise<ReviewsView> {
    return this.call("GET", `/jobs/${enc(id)}/reviews`);
  }
}

const enc = encodeURIComponent;
