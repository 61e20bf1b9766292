/**
 * @module worker/openapi-ops
 * The job operations of the OpenAPI document, each with the zod schema that validates it. Health and products,
 * submitting and reading jobs, a factory's claim and lease, event feeds, artifacts and history; also the `Op` shape
 * every operations file uses. worker/openapi builds the document from them.
 */
import { z } from "zod";
import { ManifestInputSchema } from "../core/manifest-schema.ts";
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
  ReleaseBody,
  RenewBody,
} from "../shared/api.ts";

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
  query?: z.ZodObject;
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
