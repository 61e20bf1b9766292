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
 * in shared/http-client-types, the endpoints of products, factories, tokens and a factory's work in
 * shared/http-client-fleet (`FleetClient`, which this class extends); all of it is reachable from here, so
 * importers need only this module.
 */

import type { AgingGuarantee } from "../core/aging.ts";
import type { Stage } from "../core/model.ts";
import type { ProductSettings, SettingsPatch } from "../core/settings.ts";

/** The settings answer: the record, and (absent from older coordinators) what it means for the aging guarantee. */
export type SettingsAnswer = ProductSettings & { aging?: AgingGuarantee };

import type { BatchAccepted, BatchView } from "./api-batches.ts";
import type { Send } from "./http-client-base.ts";
import { FleetClient } from "./http-client-fleet.ts";
import type {
  ArtifactPage,
  ArtifactResume,
  ArtifactView,
  DeadLetterDetail,
  DeadLetterPage,
  DeadLetterRedriven,
  Explanation,
  HistoryPage,
  HistoryQuery,
  Job,
  JobAction,
  JobEvent,
  JobPage,
  ReviewsView,
  Run,
  SerialGate,
  SubmitInput,
  TreeNode,
} from "./http-client-types.ts";
import type { JobView } from "./responses.ts";

export type * from "./http-client-types.ts";
export {
  ApiError,
  apiErrorOf,
  type Backoff,
  BadAnswerError,
  backoffMs,
  ConnectionError,
  coordinatorRefused,
  DEFAULT_BACKOFF,
  productFromToken,
  ResponseTimeoutError,
  sleep,
} from "./http-transport.ts";

export class GigafactoryClient extends FleetClient {
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
    return (await this.call<{ runs: Run[] } | null>("GET", `/jobs/${enc(id)}/runs`))?.runs as Run[];
  }
  /** `budgetUsd`/`budgetTokens`: requeue only, the job's new own budget (shared/api ActionBody). */
  action(
    id: string,
    action: JobAction,
    body: { reviewer?: string; note?: string; round?: number; budgetUsd?: number; budgetTokens?: number } = {},
  ): Promise<Job> {
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
    return this.send("GET", url, { headers, signal: opts.signal, stream: true });
  }
  /** One page of a job's artifacts in name order, those named after `cursor` (a page's `nextCursor`) (viewer). */
  artifactsPage(id: string, q: { cursor?: string; limit?: number } = {}): Promise<ArtifactPage> {
    return this.call("GET", `/jobs/${enc(id)}/artifacts`, { query: q });
  }
  /**
   * All of a job's artifacts, newest pointer per name, in name order: name, size, contentType, sha256, createdAt,
   * uploadedBy (viewer). The list is paged: each page's `nextCursor` is followed until there is none (a job keeps at
   * most 100, so this is at most 2 calls at the default page size). A cursor handed out twice would page for ever:
   * it throws instead.
   */
  async listArtifacts(id: string): Promise<ArtifactView[]> {
    const all: ArtifactView[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.artifactsPage(id, { cursor });
      all.push(...page.artifacts);
      cursor = page.nextCursor;
      if (cursor !== undefined && seen.has(cursor)) throw new Error(`artifact cursor "${cursor}" handed out twice`);
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined);
    return all;
  }
  /**
   * One artifact's bytes, as the streaming response (`x-content-sha256` names their digest) (viewer). `resume` asks
   * only for the bytes from byte `from` on, and only of the version whose ETag is `etag` (`Range: bytes=from-` with
   * `If-Range: etag`): a 206 carries them (`Content-Range`), a 200 the whole artifact (it was uploaded again, or the
   * server serves no ranges), and `from` past its end is ApiError 416.
   */
  downloadArtifact(id: string, name: string, resume?: ArtifactResume): Promise<Response> {
    const headers: Record<string, string> = resume ? { range: `bytes=${resume.from}-`, "if-range": resume.etag } : {};
    return this.send("GET", this.productUrl(`/jobs/${enc(id)}/artifacts/${enc(name)}`), { stream: true, headers });
  }
  /**
   * Bulk submission (`POST …/jobs:batch`, operator): up to 10,000 items, `{markdown}` or `{manifest, bodyMd}`, checked
   * each on its own and queued (202). `idempotencyKey` keys every item without a key of its own by its content and
   * occurrence (`batch:<key>:<sha256, 16 hex>.<n>`), so sending the same items again under it, in any order or with
   * others added, makes no job twice.
   */
  submitBatch(items: readonly unknown[], idempotencyKey?: string): Promise<BatchAccepted> {
    const headers: Record<string, string> = idempotencyKey ? { "idempotency-key": idempotencyKey } : {};
    return this.call("POST", "/jobs:batch", { headers, json: { items } });
  }
  /** A bulk batch by the `batchId` its `jobs:batch` answer gave: each item with its job once it exists (viewer). */
  getBatch(id: string): Promise<BatchView> {
    return this.call("GET", `/batches/${enc(id)}`);
  }
  queueState(): Promise<{ version: number }> {
    return this.call("GET", "/queue-state");
  }
  /** The product's settings, every key (viewer and above). */
  getSettings(): Promise<SettingsAnswer> {
    return this.call("GET", "/settings");
  }
  /** Merge `patch` into the product's settings (operator); answers the whole new record. */
  patchSettings(patch: SettingsPatch): Promise<SettingsAnswer> {
    return this.call("PATCH", "/settings", { json: patch });
  }
  /** One page of the D1 history, oldest first; pass its `nextCursor` back as `cursor` for the next. */
  history(q: HistoryQuery = {}): Promise<HistoryPage> {
    return this.call("GET", "/history", { query: q });
  }
  /** What could not be delivered, newest first: from D1 and the coordinator (operator); pass `nextCursor` as `cursor`. */
  deadLetters(q: { since?: number; limit?: number; cursor?: string } = {}): Promise<DeadLetterPage> {
    return this.call("GET", "/dead-letters", { query: q });
  }
  /** One dead letter, with the stores holding it and what a redrive would do now (operator); 404 when there is none. */
  deadLetter(id: string): Promise<DeadLetterDetail> {
    return this.call("GET", `/dead-letters/${enc(id)}`);
  }
  /** Sends a dead letter's message back to its queue and deletes it (operator); at least once, its effects idempotent. */
  redriveDeadLetter(id: string): Promise<DeadLetterRedriven> {
    return this.call("POST", `/dead-letters/${enc(id)}/redrive`);
  }

  // ---- serial gates & reviews: operators (viewers read) ----
  /** One page of serial keys (key order); pass `nextCursor` back as `cursor`. */
  listSerialGates(q: { limit?: number; cursor?: string } = {}): Promise<{ keys: SerialGate[]; nextCursor?: string }> {
    return this.call("GET", "/serial", { query: q });
  }
  /** `changed: false` when the key was frozen already for the same reason (absent from older coordinators). */
  freezeSerialKey(key: string, reason: string): Promise<SerialGate & { changed?: boolean }> {
    return this.call("POST", `/serial/${enc(key)}/freeze`, { json: { reason } });
  }
  /** `changed: false` when the key was not frozen (absent from older coordinators). */
  unfreezeSerialKey(key: string, reason?: string): Promise<SerialGate & { changed?: boolean }> {
    return this.call("POST", `/serial/${enc(key)}/unfreeze`, { json: reason ? { reason } : {} });
  }
  review(
    id: string,
    body: { verdict: "approve" | "reject"; comment?: string; round?: number },
  ): Promise<ReviewsView & { job: Job }> {
    return this.call("POST", `/jobs/${enc(id)}/reviews`, { json: body });
  }
  listReviews(id: string): Promise<ReviewsView> {
    return this.call("GET", `/jobs/${enc(id)}/reviews`);
  }
}

const enc = encodeURIComponent;
