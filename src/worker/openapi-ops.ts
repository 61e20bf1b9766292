/**
 * @module worker/openapi-ops
 * The job operations of the OpenAPI document, each with the zod schema that validates it: health, products, whoami,
 * submitting and reading jobs, operator actions, a factory's claim and lease; also the `Op` shape every operations
 * file uses. A job's event log is in worker/openapi-ops-events, its artifacts and history in worker/openapi-ops-feeds;
 * worker/openapi builds the document from them all.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { IDEMPOTENCY_KEY_MAX_BYTES, MAX_MANIFEST_BYTES, ManifestRequestSchema } from "../core/manifest-schema.ts";
import { ActionBody, CreateProductBody, IdempotencyKeyHeader, JobListQuery } from "../shared/api.ts";
import {
  LivenessSchema,
  OpenApiDocumentSchema,
  ProductListSchema,
  ProductSchema,
} from "../shared/api-fleet-answers.ts";
import { ExplanationSchema, RunListSchema } from "../shared/api-job-answers.ts";
import { ONE_KEY } from "../shared/api-keys.ts";
import { ClaimSchema, JobPageSchema, JobSchema, JobViewSchema, LeaseSchema } from "../shared/api-responses.ts";
import { ClaimBody, PatchJobBody, ReleaseBody, RenewBody } from "../shared/api-work.ts";
import { WHOAMI_OP } from "./openapi-ops-whoami.ts";
import type { OpRole } from "./openapi-params.ts";
import { empty, json, made, type Replies } from "./openapi-schemas.ts";
import { MAX_SUBMIT_JSON_BYTES } from "./validate.ts";

export type Op = {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  /**
   * The operation's stable name (camelCase, unique in the document): what a generated client calls its method.
   * Renaming one breaks every client generated before — test/unit/openapi-operation-ids pins the list.
   */
  operationId: string;
  /** One short sentence, at most 80 characters: what a client's method list and a docs index show. */
  summary: string;
  /** Everything more: the answer's shape, the refusals and their codes, what is audited (CommonMark). */
  description?: string;
  /** Who may call it (worker/openapi-params ROLES says what each role means); the document's `x-role`. */
  role: OpRole;
  body?: z.ZodType;
  /**
   * The route reads an empty body as `{}` (worker/validate `body`'s allowEmpty): the document leaves the body
   * optional. Otherwise a body is `required` — its route refuses none with 400 "a JSON body is required".
   */
  bodyOptional?: true;
  /** The JSON body's limit, bytes (UTF-8): worker/validate MAX_JSON_BYTES unless the route reads more. */
  maxBodyBytes?: number;
  /**
   * Media types the body may come as besides the JSON `body`, read as they are (a manifest's text, an artifact),
   * and their limit, bytes.
   */
  rawBody?: { types: string[]; description: string; binary?: boolean; maxBytes: number };
  query?: z.ZodObject;
  /** Request headers the route reads, each with the zod schema it checks the value against. */
  headers?: HeaderParam[];
  /** Every success status the route answers with, each with its body (worker/openapi-schemas). */
  ok: Replies;
};

export type HeaderParam = { name: string; description: string; schema: z.ZodType; required?: boolean };

/**
 * `POST …/jobs` as JSON: the manifest as an object with its body, or the whole manifest as markdown
 * (worker/routes/jobs `SubmitJobBody`, whose `manifest` is checked by core/manifest, described here by its schema).
 */
const SubmitJobJson = z.union([
  z.object({ manifest: ManifestRequestSchema, bodyMd: utf8Text(MAX_MANIFEST_BYTES).optional() }).strict(),
  z.object({ markdown: utf8Text(MAX_MANIFEST_BYTES, z.string().min(1)) }).strict(),
]);

/** `Idempotency-Key` of `POST …/jobs`: the manifest's `idempotencyKey` by another name, so its limit too. */
export const JOB_KEY_HEADER: HeaderParam = {
  name: "Idempotency-Key",
  description:
    `≤ ${IDEMPOTENCY_KEY_MAX_BYTES} bytes, ${ONE_KEY}: the same key as the manifest's idempotencyKey (400 when both are given ` +
    "and differ). The same request again → 200 with the first job (idempotent-replayed: true); another request " +
    "under the key → 409 conflict",
  schema: IdempotencyKeyHeader,
};

/** Every product-scoped path starts here. */
export const P = "/api/v1/products/{productId}";

/** Health, this document, and products. */
export const META_OPS: Op[] = [
  {
    method: "get",
    path: "/api/v1/health",
    operationId: "getCoordinatorHealth",
    summary: "Health of the coordinator",
    role: "none",
    ok: { "200": json("The Worker answers; whether D1 does", LivenessSchema) },
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This document",
    role: "none",
    ok: { "200": json("This document (OpenAPI 3.1)", OpenApiDocumentSchema) },
  },
  {
    method: "post",
    path: "/api/v1/products",
    operationId: "createProduct",
    summary: "Create a product (201; 200 when it already exists)",
    description: "Create a product (201; 200 when it already exists). Nothing else creates one",
    role: "admin",
    body: CreateProductBody,
    ok: { "201": json("Created", ProductSchema), "200": json("It already exists", ProductSchema) },
  },
  {
    method: "get",
    path: "/api/v1/products",
    operationId: "listProducts",
    summary: "List products",
    role: "admin",
    ok: { "200": json("Every product", ProductListSchema) },
  },
  WHOAMI_OP,
];

/** Submitting and reading jobs. */
export const JOB_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs`,
    operationId: "submitJob",
    summary: "Submit a job (JSON or markdown manifest), idempotent by key",
    description:
      "Submit a job (JSON or text/markdown manifest); idempotent by key (Idempotency-Key header or manifest " +
      "idempotencyKey): the same request again → 200 with the first job, another request under the key → 409 conflict. " +
      "413 payload_too_large: a body over its limit (x-max-bytes), or a job whose JSON (control characters in " +
      "its body escape to six bytes each) would pass what one assignment carries to a factory — its size and the " +
      "limit named, nothing created: shorten the body",
    role: "operator",
    body: SubmitJobJson,
    maxBodyBytes: MAX_SUBMIT_JSON_BYTES,
    rawBody: {
      maxBytes: MAX_MANIFEST_BYTES,
      types: ["text/markdown", "text/plain"],
      description: "The whole manifest as markdown: YAML frontmatter, then the job's body",
    },
    headers: [JOB_KEY_HEADER],
    ok: made("201", "The job, created (as stored: no waitingReason)", JobSchema),
  },
  {
    method: "get",
    path: `${P}/jobs`,
    operationId: "listJobs",
    summary: "List jobs, newest first, each with its waitingReason",
    description:
      "List jobs, newest first: summaries without bodyMd unless fields=full; each with its waitingReason " +
      "(#/components/schemas/WaitingReason, null while running or terminal), computed on read",
    role: "viewer",
    query: JobListQuery,
    ok: { "200": json("A page of jobs", JobPageSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}`,
    operationId: "getJob",
    summary: "One job, with its waitingReason",
    description: "One job, with its waitingReason (#/components/schemas/WaitingReason; null while running or terminal)",
    role: "job-reader",
    ok: { "200": json("The job", JobViewSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/explain`,
    operationId: "explainJob",
    summary: "The router's per-term decision for this job, and its waitingReason",
    role: "viewer",
    ok: { "200": json("The explanation: every factory ranked or rejected, term by term", ExplanationSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/runs`,
    operationId: "listJobRuns",
    summary: "Attempts of this job, oldest first",
    role: "job-reader",
    ok: { "200": json("The job's runs", RunListSchema) },
  },
];

/** Operator actions, and a factory's claim, fenced updates and lease. */
export const RUN_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs/{jobId}/actions/{action}`,
    operationId: "applyJobAction",
    summary: "Operator action: requeue, cancel, ship, approve or reject",
    description:
      "Operator action: requeue | cancel | ship | approve | reject (cancel, requeue and reject take a running job's " +
      "lease). approve|reject count as POST …/reviews does, and take its optional `round` fence (409 conflict once " +
      "the job was requeued and rebuilt since; 400 validation_failed on another action). A cancel of a composite parent cancels its whole subtree: every descendant not yet ended, running " +
      "ones losing their lease (500 per unit, the rest by the coordinator's alarm at once; the parent's job.cancel " +
      "audit counts them). A requeue from failed, dead_letter or review grants fresh attempts. A requeue of a job " +
      "below a cancelled composite (its parent or one above; cascade finished or still under way) is refused 409 " +
      "ancestor_cancelled naming it (details.ancestorId), nothing changed; below a failed one it is allowed. A " +
      "requeue of a job that has spent its own budget (usd or tokens, all runs) is refused 409 " +
      "budget_exceeded (the detail says what it spent) unless budgetUsd / budgetTokens raise it above that. Either " +
      "sets the job's budget to any value above the spend (audited job.budget_raised, or job.budget_lowered)",
    role: "operator",
    body: ActionBody,
    bodyOptional: true,
    ok: { "200": json("The job after the action (as stored: no waitingReason)", JobSchema) },
  },
  {
    method: "post",
    path: `${P}/claim`,
    operationId: "claimJob",
    summary: "Claim the best job for this factory (204 when none fits)",
    role: "factory",
    body: ClaimBody,
    bodyOptional: true,
    ok: {
      "200": json("The job claimed, its lease, its lessons and what is left of its budget (allowance)", ClaimSchema),
      "204": empty("No job fits"),
    },
  },
  {
    method: "patch",
    path: `${P}/jobs/{jobId}`,
    operationId: "reportJobUpdate",
    summary: "Fenced factory update (stage, checkpoint, progress, result)",
    role: "lease-holder",
    body: PatchJobBody,
    ok: { "200": json("The job after the report (as stored: no waitingReason)", JobSchema) },
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/lease/renew`,
    operationId: "renewLease",
    summary: "Extend the lease",
    role: "lease-holder",
    body: RenewBody,
    ok: { "200": json("The lease, extended", LeaseSchema) },
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/lease/release`,
    operationId: "releaseLease",
    summary: "Give the job back (checkpoint kept)",
    role: "lease-holder",
    body: ReleaseBody,
    ok: { "200": json("The job, given back (as stored: no waitingReason)", JobSchema) },
  },
];
