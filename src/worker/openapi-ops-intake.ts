/**
 * @module worker/openapi-ops-intake
 * The bulk intake operations of the OpenAPI document: `jobs:batch` and its batch view, and tracker ingest; also the
 * `Idempotency-Key` header of a request that makes several jobs (`jobs:batch`, and children in
 * worker/openapi-ops-policy).
 */
import { BatchBody, DerivedKeyHeader, TrackerIngestBody } from "../shared/api.ts";
import { BatchAcceptedSchema, BatchViewSchema } from "../shared/api-batches.ts";
import * as A from "../shared/api-fleet-answers.ts";
import { ONE_KEY } from "../shared/api-keys.ts";
import { type HeaderParam, type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";
import { MAX_BATCH_BYTES, MAX_TRACKER_REQUEST_BYTES } from "./validate.ts";

/** `Idempotency-Key` of a request that makes several jobs, each keyed `<prefix>:<key>:<index>` (shared/api). */
export const derivedKeyHeader = (prefix: string, own = " (its own idempotencyKey wins)"): HeaderParam => ({
  name: "Idempotency-Key",
  description: `≤ 128 bytes, ${ONE_KEY}; item i is keyed \`${prefix}:<key>:<i>\`${own}`,
  schema: DerivedKeyHeader,
});

/** Bulk submission and tracker ingest. */
export const INTAKE_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs:batch`,
    operationId: "submitJobBatch",
    summary: "Bulk submission through the dispatch queue (202)",
    description:
      "Bulk submission through the dispatch queue (202): per item queued | exists (with jobId), or rejected with its " +
      "own status (400: a bad manifest; a composite parent — children, or kind composite — which only POST …/jobs " +
      "takes; deps or a parent that do not exist, ended without shipping, or close a cycle. 409: conflict, or " +
      "illegal_transition for a parent that can no longer take children; 413 over the queue's byte limit; 503 not " +
      "queued — resend). 503 unavailable for the whole request when the coordinator fails it: its detail says " +
      "whether anything may have been queued; send the same request again with the same Idempotency-Key. A known " +
      "key answers exists (or 409) before its deps or parent are checked, so a retried batch gets its jobs back; " +
      "items naming one parent count together against its 2,000-children limit. Keys: the item's own, " +
      "else `batch:<Idempotency-Key header>:<sha256 of the normalised item, 16 hex>.<n>` (n: its occurrence among " +
      "identical items of the batch, so the same items sent again in any order, or with others added, find their " +
      "jobs; a key stored as `batch:<Idempotency-Key>:<index>` still answers its item), else " +
      "`content:<sha256 of the normalised item>` — so identical " +
      "keyless items are one job: `jobs` counts the jobs the accepted items name and an item that repeats an " +
      "earlier item's key says `repeatOf` (that item's index), here and in GET …/batches/{batchId}",
    role: "operator",
    body: BatchBody,
    maxBodyBytes: MAX_BATCH_BYTES,
    headers: [derivedKeyHeader("batch")],
    ok: { "202": json("Accepted: each item queued, existing or refused", BatchAcceptedSchema) },
  },
  {
    method: "get",
    path: `${P}/batches/{batchId}`,
    operationId: "getBatch",
    summary: "A bulk batch by the batchId its jobs:batch answer gave",
    description:
      "A bulk batch by the batchId its jobs:batch answer gave: {id, createdAt, total, created, queued, rejected, " +
      "items: [{index, key?, status: created | queued | rejected, jobId?, code?}], done} — done once no item is " +
      "still queued (every job the batch will create exists; an item whose message was dead-lettered is rejected, " +
      "code unavailable: resend it — it reads created once its job is made after all, by a redrive or a resend, " +
      "and conflict once another request took its key; while the batch's sends are not confirmed — its jobs:batch " +
      "request failed with 503 after sending — an item without its job reads rejected unavailable too: not " +
      "confirmed sent, resend it with the same Idempotency-Key). 503 unavailable when the coordinator cannot read " +
      "it now. 404 not_found for an unknown or pruned batch (kept as long as its idempotency keys)",
    role: "viewer",
    ok: { "200": json("The batch", BatchViewSchema) },
  },
  {
    method: "post",
    path: `${P}/tracker/ingest`,
    operationId: "ingestTrackerItem",
    summary: "Ingest a tracker item as a job, idempotently by tracker id",
    description:
      "Ingest a tracker item as a job, idempotently by tracker id: 202 queued, 200 when the same item is already a " +
      "job, 409 conflict when the id comes back with a changed item; 413 payload_too_large when the item's JSON " +
      "(title, body and fields) is over one queue message (~100 KiB of UTF-8); 503 unavailable when the dispatch queue " +
      "refuses it or the coordinator cannot be asked (nothing queued: resend it)",
    role: "operator",
    body: TrackerIngestBody,
    maxBodyBytes: MAX_TRACKER_REQUEST_BYTES,
    ok: {
      "202": json("Queued", A.TrackerQueuedSchema),
      "200": json("Already a job", A.TrackerExistsSchema),
    },
  },
];
