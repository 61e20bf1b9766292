/**
 * @module worker/openapi-ops
 * The job operations of the OpenAPI document, each with the zod schema that validates it. Health and products,
 * submitting and reading jobs, a factory's claim and lease, event feeds, artifacts and history; also the `Op` shape
 * every operations file uses. worker/openapi builds the document from them.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { IDEMPOTENCY_KEY_MAX_BYTES, MAX_MANIFEST_BYTES, ManifestInputSchema } from "../core/manifest-schema.ts";
import {
  ActionBody,
  ArtifactUploadQuery,
  ClaimBody,
  CreateProductBody,
  EventsQuery,
  FeedQuery,
  HistoryQuery,
  JobListQuery,
  PatchJobBody,
  queryInt,
  ReleaseBody,
  RenewBody,
} from "../shared/api.ts";
import { ClaimSchema, JobPageSchema, JobSchema, JobViewSchema } from "../shared/api-responses.ts";
import { empty, json, made, type Replies, SWITCHING } from "./openapi-schemas.ts";

export type Op = {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  /**
   * `job-reader`: a viewer or above, or the factory that holds or held the job;
   * `member`: a viewer or above, or any factory of the product.
   */
  role: "none" | "member" | "viewer" | "job-reader" | "operator" | "admin" | "factory";
  body?: z.ZodType;
  /** Media types the body may come as besides the JSON `body`, read as they are (a manifest's text, an artifact). */
  rawBody?: { types: string[]; description: string; binary?: boolean };
  query?: z.ZodObject;
  /** Request headers the route reads, each with the zod schema it checks the value against. */
  headers?: HeaderParam[];
  /** Every success status the route answers with (worker/openapi-schemas); absent = 200 with a JSON body. */
  ok?: Replies;
};

export type HeaderParam = { name: string; description: string; schema: z.ZodType; required?: boolean };

/**
 * `POST …/jobs` as JSON: the manifest as an object with its body, or the whole manifest as markdown
 * (worker/routes/jobs `SubmitJobBody`, whose `manifest` is checked by core/manifest, described here by its schema).
 */
const SubmitJobJson = z.union([
  z.object({ manifest: ManifestInputSchema, bodyMd: z.string().max(MAX_MANIFEST_BYTES).optional() }).strict(),
  z.object({ markdown: z.string().min(1).max(MAX_MANIFEST_BYTES) }).strict(),
]);

/** `Idempotency-Key` of `POST …/jobs`: the manifest's `idempotencyKey` by another name, so its limit too. */
export const JOB_KEY_HEADER: HeaderParam = {
  name: "Idempotency-Key",
  description:
    `≤ ${IDEMPOTENCY_KEY_MAX_BYTES} bytes: the same key as the manifest's idempotencyKey (400 when both are given ` +
    "and differ). The same request again → 200 with the first job (idempotent-replayed: true); another request " +
    "under the key → 409 conflict",
  schema: utf8Text(IDEMPOTENCY_KEY_MAX_BYTES, z.string().min(1)),
};

/** Every product-scoped path starts here. */
export const P = "/api/v1/products/{productId}";

/** Health, this document, and products. */
export const META_OPS: Op[] = [
  { method: "get", path: "/api/v1/health", summary: "Health of the coordinator", role: "none" },
  { method: "get", path: "/api/v1/openapi.json", summary: "This document", role: "none" },
  {
    method: "post",
    path: "/api/v1/products",
    summary: "Create a product (201; 200 when it already exists). Nothing else creates one",
    role: "admin",
    body: CreateProductBody,
    ok: { "201": json("Created: {id, createdAt}"), "200": json("It already exists: {id, createdAt}") },
  },
  { method: "get", path: "/api/v1/products", summary: "List products", role: "admin" },
];

/** Submitting and reading jobs. */
export const JOB_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs`,
    summary:
      "Submit a job (JSON or text/markdown manifest); idempotent by key (Idempotency-Key header or manifest " +
      "idempotencyKey): the same request again → 200 with the first job, another request under the key → 409 conflict",
    role: "operator",
    body: SubmitJobJson,
    rawBody: {
      types: ["text/markdown", "text/plain"],
      description: "The whole manifest as markdown: YAML frontmatter, then the job's body",
    },
    headers: [JOB_KEY_HEADER],
    ok: made("201", "The job, created (as stored: no waitingReason)", JobSchema),
  },
  {
    method: "get",
    path: `${P}/jobs`,
    summary:
      "List jobs, newest first: summaries without bodyMd unless fields=full; each with its waitingReason " +
      "(#/components/schemas/WaitingReason, null while running or terminal), computed on read",
    role: "viewer",
    query: JobListQuery,
    ok: { "200": json("A page of jobs", JobPageSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}`,
    summary: "One job, with its waitingReason (#/components/schemas/WaitingReason; null while running or terminal)",
    role: "job-reader",
    ok: { "200": json("The job", JobViewSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/explain`,
    summary: "The router's per-term decision for this job, and its waitingReason",
    role: "viewer",
  },
  { method: "get", path: `${P}/jobs/{jobId}/runs`, summary: "Attempts of this job", role: "job-reader" },
];

/** Operator actions, and a factory's claim, fenced updates and lease. */
export const RUN_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs/{jobId}/actions/{action}`,
    summary:
      "Operator action: requeue | cancel | ship | approve | reject (cancel, requeue and reject take a running job's lease)",
    role: "operator",
    body: ActionBody,
    ok: { "200": json("The job after the action (as stored: no waitingReason)", JobSchema) },
  },
  {
    method: "post",
    path: `${P}/claim`,
    summary: "Claim the best job for this factory (204 when none fits)",
    role: "factory",
    body: ClaimBody,
    ok: { "200": json("The job claimed, its lease and its lessons", ClaimSchema), "204": empty("No job fits") },
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
];

/** A job's event log: pages, live feeds (WebSocket, SSE) and the browser ticket. */
export const FEED_OPS: Op[] = [
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
      "WebSocket feed: replay after `after` in pages (send `more` after each `page` frame), then live (header or " +
      "ticket auth); 429 limit_exceeded past 256 watchers per job; 426 upgrade_required without `Upgrade: websocket`; " +
      "416 after_beyond_feed when `after` is past the feed's last seq (`lastSeq` in the problem)",
    role: "job-reader",
    query: FeedQuery,
    ok: { "101": SWITCHING },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/events/stream`,
    summary:
      "SSE feed honouring Last-Event-ID, replayed at the reader's pace (header or ticket auth); 429 limit_exceeded past 256 watchers per job; " +
      "416 after_beyond_feed when `after` (or Last-Event-ID) is past the feed's last seq (`lastSeq` in the problem)",
    role: "job-reader",
    query: FeedQuery,
    headers: [
      {
        name: "Last-Event-ID",
        description: "Resume after this seq (what a browser's EventSource sends on reconnecting); `after` wins",
        schema: queryInt(z.number().max(Number.MAX_SAFE_INTEGER)),
      },
    ],
    ok: { "200": { description: "The event stream", media: ["text/event-stream"] } },
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/events/ticket`,
    summary: "A 60 s ticket for one job's feed (for browsers)",
    role: "job-reader",
    ok: { "201": json("The ticket") },
  },
];

/** A job's artifacts. */
export const ARTIFACT_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs/{jobId}/artifacts`,
    summary:
      "Upload an artifact (raw body, Content-Length required, ≤ 25 MiB); the lease is re-checked when the upload ends (409 fenced if lost meanwhile)",
    role: "factory",
    query: ArtifactUploadQuery,
    rawBody: { types: ["*/*"], description: "The artifact's bytes, stored with this Content-Type", binary: true },
    ok: { "201": json("The artifact stored") },
  },
  { method: "get", path: `${P}/jobs/{jobId}/artifacts`, summary: "List a job's artifacts", role: "job-reader" },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/artifacts/{name}`,
    summary:
      "Download an artifact (nosniff; text as text/plain, raster images inline, anything else an attachment of application/octet-stream)",
    role: "job-reader",
    ok: {
      "200": { description: "The artifact's bytes", media: ["text/plain", "image/*", "application/octet-stream"] },
    },
  },
  { method: "delete", path: `${P}/jobs/{jobId}/artifacts/{name}`, summary: "Delete an artifact", role: "operator" },
];

/** History kept in D1. */
export const HISTORY_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/history`,
    summary:
      "History from D1: snapshots, runs, audit. Trails the coordinator by about a second (the outbox, then the " +
      "history queue's batch), or by up to about a minute while the coordinator is loaded (200 or more units a " +
      "second, with work waiting for seats or frames queued): history gives way to dispatch then",
    role: "viewer",
    query: HistoryQuery,
  },
];
