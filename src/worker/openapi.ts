/**
 * @module worker/openapi
 * The OpenAPI 3.1 document, built from the same zod schemas that validate
 * requests — so the document cannot describe a body the API would refuse.
 */
import { z } from "zod";
import { ManifestInputSchema } from "../core/manifest.ts";
import {
  ActionBody,
  ApproveGrantBody,
  ArtifactUploadQuery,
  BatchBody,
  ChildrenBody,
  ClaimBody,
  CreateProductBody,
  DeadLettersQuery,
  EnrollBody,
  EnrollmentCodeBody,
  EventsQuery,
  FactoryStatusBody,
  FeedQuery,
  FreezeBody,
  HeartbeatBody,
  HistoryQuery,
  JobListQuery,
  MintTokenBody,
  PatchJobBody,
  ReleaseBody,
  RenewBody,
  ReviewBody,
  SerialListQuery,
  SettingsPatchBody,
  TrackerIngestBody,
  UnfreezeBody,
  WaitingReasonSchema,
} from "../shared/api.ts";

type Op = {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  /**
   * `job-reader`: a viewer or above, or the factory that holds or held the job;
   * `member`: a viewer or above, or any factory of the product.
   */
  role: "none" | "member" | "viewer" | "job-reader" | "operator" | "admin" | "factory";
  body?: z.ZodType;
  query?: z.ZodObject;
};

const P = "/api/v1/products/{productId}";

const OPS: Op[] = [
  { method: "get", path: "/api/v1/health", summary: "Health of the coordinator", role: "none" },
  { method: "get", path: "/api/v1/openapi.json", summary: "This document", role: "none" },
  {
    method: "post",
    path: "/api/v1/products",
    summary: "Create a product (201; 200 when it already exists). Nothing else creates one",
    role: "admin",
    body: CreateProductBody,
  },
  { method: "get", path: "/api/v1/products", summary: "List products", role: "admin" },
  {
    method: "post",
    path: `${P}/jobs`,
    summary:
      "Submit a job (JSON or text/markdown manifest); idempotent by key (Idempotency-Key header or manifest " +
      "idempotencyKey): the same request again → 200 with the first job, another request under the key → 409 conflict",
    role: "operator",
    body: z.object({ manifest: ManifestInputSchema, bodyMd: z.string().optional() }),
  },
  {
    method: "get",
    path: `${P}/jobs`,
    summary:
      "List jobs, newest first: summaries without bodyMd unless fields=full; each with its waitingReason " +
      "(#/components/schemas/WaitingReason, null while running or terminal), computed on read",
    role: "viewer",
    query: JobListQuery,
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}`,
    summary: "One job, with its waitingReason (#/components/schemas/WaitingReason; null while running or terminal)",
    role: "job-reader",
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/explain`,
    summary: "The router's per-term decision for this job, and its waitingReason",
    role: "viewer",
  },
  { method: "get", path: `${P}/jobs/{jobId}/runs`, summary: "Attempts of this job", role: "job-reader" },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/children`,
    summary:
      "Make a queued or blocked job a composite parent with these children (201 {parent, children}): the parent " +
      "waits in blocked until they end, then moves to review/testing, or fails per onChildFailure. A child's deps " +
      "may name a sibling by #<index>; cycles and unknown deps → 422 naming them. At most 500 children, 1 MiB",
    role: "operator",
    body: ChildrenBody,
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/tree`,
    summary:
      "The job's subtree {root: TreeNode}: id, title, stage, kind, priority, deps, waitingReason, children; " +
      "at most 8 levels and 1000 nodes (a cut node has truncated: true)",
    role: "viewer",
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/actions/{action}`,
    summary:
      "Operator action: requeue | cancel | ship | approve | reject (cancel, requeue and reject take a running job's lease)",
    role: "operator",
    body: ActionBody,
  },
  {
    method: "post",
    path: `${P}/claim`,
    summary: "Claim the best job for this factory (204 when none fits)",
    role: "factory",
    body: ClaimBody,
  },
  {
    method: "patch",
    path: `${P}/jobs/{jobId}`,
    summary: "Fenced factory update (stage, checkpoint, progress, result)",
    role: "factory",
    body: PatchJobBody,
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/lease/renew`,
    summary: "Extend the lease",
    role: "factory",
    body: RenewBody,
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/lease/release`,
    summary: "Give the job back (checkpoint kept)",
    role: "factory",
    body: ReleaseBody,
  },
  {
    method: "post",
    path: `${P}/factories/enroll`,
    summary: "Enroll a factory; returns its token once",
    role: "operator",
    body: EnrollBody,
  },
  {
    method: "post",
    path: `${P}/factories/heartbeat`,
    summary:
      "Factory heartbeat; returns live leases and queue version. Declared capabilities beyond the grant stay pending; seats are capped by the seat limit",
    role: "factory",
    body: HeartbeatBody,
  },
  { method: "get", path: `${P}/factories`, summary: "List factories", role: "viewer" },
  { method: "get", path: `${P}/factories/{factoryId}`, summary: "One factory", role: "viewer" },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/status`,
    summary: "Drain, quarantine or reactivate",
    role: "operator",
    body: FactoryStatusBody,
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/capabilities/approve`,
    summary:
      "Approve capabilities the factory declared beyond its grant (all pending when none named) and/or set its seat limit; audited",
    role: "operator",
    body: ApproveGrantBody,
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/token/rotate`,
    summary: "New token; the old one stops working at once",
    role: "operator",
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/token/revoke`,
    summary: "Revoke; live leases are requeued",
    role: "operator",
  },
  {
    method: "delete",
    path: `${P}/factories/{factoryId}`,
    summary: "Deregister; live leases are requeued",
    role: "operator",
  },
  {
    method: "post",
    path: `${P}/tokens`,
    summary: "Mint an operator or viewer token",
    role: "admin",
    body: MintTokenBody,
  },
  { method: "get", path: `${P}/tokens`, summary: "List tokens (never their secrets)", role: "admin" },
  { method: "delete", path: `${P}/tokens/{tokenId}`, summary: "Revoke a token", role: "admin" },
  {
    method: "post",
    path: `${P}/jobs:batch`,
    summary:
      "Bulk submission through the dispatch queue (202): per item queued | exists (with jobId), or rejected with its " +
      "own status (400, 409 conflict, 413 over the queue's byte limit, 503 not queued — resend). Keys: the item's own, " +
      "else `batch:<Idempotency-Key header>:<index>`, else `content:<sha256 of the normalised item>`",
    role: "operator",
    body: BatchBody,
  },
  {
    method: "post",
    path: `${P}/tracker/ingest`,
    summary:
      "Ingest a tracker item as a job, idempotently by tracker id: 202 queued, 200 when the same item is already a " +
      "job, 409 conflict when the id comes back with a changed item",
    role: "operator",
    body: TrackerIngestBody,
  },
  {
    method: "get",
    path: `${P}/dead-letters`,
    summary:
      "What could not be delivered or processed, newest first: outbox records the coordinator gave up on (source `outbox:<kind>`, after its last retry or at once when too large; each also audited as `outbox.dead_letter`), dead-letter-queue messages (`queue:<kind>`) and refused bulk items — from D1 and from the coordinator, which keeps what D1 refused",
    role: "operator",
    query: DeadLettersQuery,
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/events`,
    summary: "A page of the job's event log after a seq",
    role: "job-reader",
    query: EventsQuery,
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/events/ws`,
    summary:
      "WebSocket feed: replay after `after` in pages (send `more` after each `page` frame), then live (header or ticket auth); 429 limit_exceeded past 256 watchers per job",
    role: "job-reader",
    query: FeedQuery,
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/events/stream`,
    summary:
      "SSE feed honouring Last-Event-ID, replayed at the reader's pace (header or ticket auth); 429 limit_exceeded past 256 watchers per job",
    role: "job-reader",
    query: FeedQuery,
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/events/ticket`,
    summary: "A 60 s ticket for one job's feed (for browsers)",
    role: "job-reader",
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/artifacts`,
    summary:
      "Upload an artifact (raw body, Content-Length required, ≤ 25 MiB); the lease is re-checked when the upload ends (409 fenced if lost meanwhile)",
    role: "factory",
    query: ArtifactUploadQuery,
  },
  { method: "get", path: `${P}/jobs/{jobId}/artifacts`, summary: "List a job's artifacts", role: "job-reader" },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/artifacts/{name}`,
    summary:
      "Download an artifact (nosniff; text as text/plain, raster images inline, anything else an attachment of application/octet-stream)",
    role: "job-reader",
  },
  { method: "delete", path: `${P}/jobs/{jobId}/artifacts/{name}`, summary: "Delete an artifact", role: "operator" },
  {
    method: "get",
    path: `${P}/factories/connect`,
    summary: "Factory WebSocket (protocol v1, see src/shared/protocol.ts)",
    role: "factory",
  },
  {
    method: "post",
    path: `${P}/factories/enrollment-codes`,
    summary: "A one-time enrollment code for an agent",
    role: "operator",
    body: EnrollmentCodeBody,
  },
  { method: "get", path: `${P}/queue-state`, summary: "The queue version (cheap change detection)", role: "member" },
  {
    method: "get",
    path: `${P}/settings`,
    summary:
      "The product's settings, every key: preemption, leaseTtlSeconds, router weights, agingHorizonMinutes, retry " +
      "{baseSeconds, maxSeconds, jitter}, frozenSerialKeys, budgetPaused",
    role: "viewer",
  },
  {
    method: "patch",
    path: `${P}/settings`,
    summary:
      "Change settings (any subset; nested objects merge key by key; unknown keys are 400): answers the whole new " +
      "record. Audited (settings.update, with the changed keys); a new leaseTtlSeconds is pushed to connected " +
      "factories as a `settings` frame",
    role: "operator",
    body: SettingsPatchBody,
  },
  {
    method: "get",
    path: `${P}/history`,
    summary: "History from D1: snapshots, runs, audit",
    role: "viewer",
    query: HistoryQuery,
  },
  // ---- serial gates & reviews (issue 8, part 4) ----
  {
    method: "get",
    path: `${P}/serial`,
    summary:
      "Serial gates: every key with a holder, a queue or a freeze, in key order — `{keys: [{key, holder, queue " +
      "(most urgent first, ≤ 50 ids), queueLength, frozen: {by, reason, at} | null}], nextCursor?}`",
    role: "viewer",
    query: SerialListQuery,
  },
  {
    method: "post",
    path: `${P}/serial/{key}/freeze`,
    summary:
      "Freeze a serial key (URL-encoded): no new dispatch of its jobs, the current holder runs on; audited " +
      "`serial.freeze` with the reason; 429 limit_exceeded past 100 frozen keys",
    role: "operator",
    body: FreezeBody,
  },
  {
    method: "post",
    path: `${P}/serial/{key}/unfreeze`,
    summary: "Unfreeze a serial key: its most urgent waiting job is dispatched; audited `serial.unfreeze` (idempotent)",
    role: "operator",
    body: UnfreezeBody,
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/reviews`,
    summary:
      "Review a job as the calling token (its id counts once towards the quorum; the job's own factory is refused): " +
      "approve (the quorum moves it to testing) or reject (failed, or requeued with the comment as feedback per " +
      "onReject; a running job's lease is taken). 201 `{job, required, approvals, approvers, reviews}`",
    role: "operator",
    body: ReviewBody,
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/reviews`,
    summary:
      "The review gate of a job: `{required, approvals, approvers, reviews: [{reviewer (token id), reviewerName, " +
      "verdict, comment, at, counted}]}`",
    role: "viewer",
  },
];

const PROBLEM = {
  description: "Problem (RFC 9457)",
  content: {
    "application/problem+json": {
      schema: {
        type: "object",
        required: ["type", "title", "status", "detail", "code"],
        properties: {
          type: { type: "string" },
          title: { type: "string" },
          status: { type: "integer" },
          detail: { type: "string" },
          code: { type: "string" },
        },
      },
    },
  },
};

function jsonSchema(s: z.ZodType): unknown {
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const queryParams = op.query
      ? Object.keys(op.query.shape).map((name) => ({ name, in: "query", required: false, schema: { type: "string" } }))
      : [];
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.role === "none" ? { security: [] } : { "x-role": op.role }),
      parameters: [...params, ...queryParams],
      ...(op.body ? { requestBody: { content: { "application/json": { schema: jsonSchema(op.body) } } } } : {}),
      responses: { "200": { description: "OK" }, "4XX": PROBLEM },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Gigafactory API", version: "1.0.0" },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { WaitingReason: z.toJSONSchema(WaitingReasonSchema, { io: "output" }) },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
