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
 *
 * The plumbing (binding, one exchange, JSON calls) lives in shared/http-client-base, the option and input types
 * in shared/http-client-types; both are re-exported here, so importers need only this module.
 */
import type { z } from "zod";
import type { Stage } from "../core/model.ts";
import type { ProductSettings, SettingsPatch } from "../core/settings.ts";
import type { PatchJobBody } from "./api.ts";
import type { BatchView } from "./api-batches.ts";
import { ApiClientBase, type Send } from "./http-client-base.ts";
import type {
  ArtifactView,
  DeadLetterView,
  Enrolled,
  Explanation,
  Factory,
  FactoryWithBreakers,
  HistoryQuery,
  Job,
  JobAction,
  JobEvent,
  JobPage,
  Lease,
  ProductInfo,
  ReviewsView,
  Run,
  SerialGate,
  SubmitInput,
  TokenInfo,
  TreeNode,
} from "./http-client-types.ts";
import type { JobView } from "./responses.ts";

export type * from "./http-client-types.ts";
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

export class GigafactoryClient extends ApiClientBase {
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
  /** Gives a queued or blocked job these children; `replayed` = the key's earlier answer (200). */
  async addChildren(
    id: string,
    children: unknown[],
    idempotencyKey?: string,
  ): Promise<{ parent: Job; children: Job[]; replayed: boolean }> {
    const headers: Record<string, string> = idempotencyKey ? { "idempotency-key": idempotencyKey } : {};
    const res = await this.send("POST", this.productUrl(`/jobs/${enc(id)}/children`), { headers, json: { children } });
    const made = (await res.json()) as { parent: Job; children: Job[] };
    return { ...made, replayed: res.headers.get("idempotent-replayed") === "true" };
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
  /** A job's artifacts, newest pointer per name: name, size, contentType, sha256, createdAt, uploadedBy (viewer). */
  async listArtifacts(id: string): Promise<ArtifactView[]> {
    return (await this.call<{ artifacts: ArtifactView[] }>("GET", `/jobs/${enc(id)}/artifacts`)).artifacts;
  }
  /** One artifact's bytes, as the streaming response (`x-content-sha256` names their digest) (viewer). */
  downloadArtifact(id: string, name: string): Promise<Response> {
    return this.send("GET", this.productUrl(`/jobs/${enc(id)}/artifacts/${enc(name)}`));
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
  /** A one-time code; `name` and `seats` bind it (only that host may redeem it, with at most those seats). */
  mintEnrollmentCode(
    body: { ttlSeconds?: number; name?: string; seats?: number } = {},
  ): Promise<{ id: string; code: string; expiresAt: number }> {
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
