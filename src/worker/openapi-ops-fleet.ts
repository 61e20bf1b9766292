/**
 * @module worker/openapi-ops-fleet
 * The fleet operations of the OpenAPI document: factories, tokens and bulk intake, and what an agent connects to.
 * Dead letters are in worker/openapi-ops-dead-letters.
 */
import {
  ApproveGrantBody,
  BatchBody,
  DerivedKeyHeader,
  EnrollBody,
  EnrollmentCodeBody,
  FactoryStatusBody,
  HeartbeatBody,
  MintTokenBody,
  TrackerIngestBody,
} from "../shared/api.ts";
import { BatchAcceptedSchema, BatchViewSchema } from "../shared/api-batches.ts";
import * as A from "../shared/api-fleet-answers.ts";
import {
  EnrolledSchema,
  FactoryApproveAnswerSchema,
  FactoryListSchema,
  FactoryRecordSchema,
  FactorySchema,
  MintedTokenSchema,
  TokenInfoSchema,
} from "../shared/api-responses.ts";
import { type HeaderParam, type Op, P } from "./openapi-ops.ts";
import { json, SWITCHING } from "./openapi-schemas.ts";
import { MAX_BATCH_BYTES, MAX_TRACKER_REQUEST_BYTES } from "./validate.ts";

/** `Idempotency-Key` of a request that makes several jobs, each keyed `<prefix>:<key>:<index>` (shared/api). */
export const derivedKeyHeader = (prefix: string, own = " (its own idempotencyKey wins)"): HeaderParam => ({
  name: "Idempotency-Key",
  description: `≤ 128 bytes; item i is keyed \`${prefix}:<key>:<i>\`${own}`,
  schema: DerivedKeyHeader,
});

/** Enrolling, watching and governing factories. */
export const FACTORY_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/factories/enroll`,
    summary:
      "Enroll a factory; returns its token once. An operator enrolls directly; an agent with a one-time enrollment " +
      "code as its bearer token (used up by the call)",
    role: "enrollment",
    body: EnrollBody,
    ok: { "201": json("The factory and its token (shown this once)", EnrolledSchema) },
  },
  {
    method: "post",
    path: `${P}/factories/heartbeat`,
    summary:
      "Factory heartbeat; returns live leases and queue version. Declared capabilities beyond the grant stay pending; seats are capped by the seat limit",
    role: "factory",
    body: HeartbeatBody,
    bodyOptional: true,
    ok: { "200": json("The factory as now recorded, the queue version and its live leases", A.HeartbeatAnswerSchema) },
  },
  {
    method: "get",
    path: `${P}/factories`,
    summary: "List factories",
    role: "viewer",
    ok: { "200": json("Every factory", FactoryListSchema) },
  },
  {
    method: "get",
    path: `${P}/factories/{factoryId}`,
    summary: "One factory",
    role: "viewer",
    ok: { "200": json("The factory", FactorySchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/status`,
    summary:
      "Drain, quarantine or reactivate; a quarantined factory set active or draining is released as by …/release (error window cleared, factory_quarantined resolved, audited factory.release)",
    role: "operator",
    body: FactoryStatusBody,
    ok: { "200": json("The factory", FactoryRecordSchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/capabilities/approve`,
    summary:
      "Approve capabilities the factory declared beyond its grant (all pending when none named) and/or set its seat " +
      "limit; audited. Idempotent: with nothing pending and no new limit it answers `changed: false` (nothing written). " +
      "409 conflict for a revoked factory (nothing is granted to it)",
    role: "operator",
    body: ApproveGrantBody,
    bodyOptional: true,
    ok: { "200": json("The factory, and whether anything changed", FactoryApproveAnswerSchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/token/rotate`,
    summary: "New token; the old one stops working at once",
    role: "operator",
    ok: { "200": json("The factory and its new token (shown this once)", EnrolledSchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/token/revoke`,
    summary:
      "Revoke; live leases are requeued, and learned routing forgets it (its track records, the rules naming it, " +
      "the experiments it changes stopped)",
    role: "operator",
    ok: { "200": json("The factory, revoked", FactoryRecordSchema) },
  },
  {
    method: "delete",
    path: `${P}/factories/{factoryId}`,
    summary:
      "Deregister; live leases are requeued, and learned routing forgets it (its track records, the rules naming " +
      "it, the experiments it changes stopped)",
    role: "operator",
    ok: { "200": json("How many live leases were requeued", A.DeregisteredSchema) },
  },
];

/** Operator and viewer tokens. */
export const TOKEN_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/tokens`,
    summary: "Mint an operator or viewer token",
    role: "admin",
    body: MintTokenBody,
    ok: { "201": json("The token's record and its secret (shown this once)", MintedTokenSchema) },
  },
  {
    method: "get",
    path: `${P}/tokens`,
    summary: "List tokens (never their secrets)",
    role: "admin",
    ok: { "200": json("Every token's record", A.TokenListSchema) },
  },
  {
    method: "delete",
    path: `${P}/tokens/{tokenId}`,
    summary:
      "Revoke a token: at once, its feed streams closed and the enrollment codes it minted that were still unused " +
      "revoked with it (counted in the token.revoke audit entry)",
    role: "admin",
    ok: { "200": json("The token's record, revoked", TokenInfoSchema) },
  },
];

/** Bulk submission, tracker ingest, and what could not be delivered. */
export const INTAKE_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs:batch`,
    summary:
      "Bulk submission through the dispatch queue (202): per item queued | exists (with jobId), or rejected with its " +
      "own status (400: a bad manifest; a composite parent — children, or kind composite — which only POST …/jobs " +
      "takes; deps or a parent that do not exist, ended without shipping, or close a cycle. 409: conflict, or " +
      "illegal_transition for a parent that can no longer take children; 413 over the queue's byte limit; 503 not " +
      "queued — resend). 503 unavailable for the whole request when the coordinator fails it: its detail says " +
      "whether anything may have been queued; send the same request again with the same Idempotency-Key. A known " +
      "key answers exists (or 409) before its deps or parent are checked, so a retried batch gets its jobs back; " +
      "items naming one parent count together against its 2,000-children limit. Keys: the item's own, " +
      "else `batch:<Idempotency-Key header>:<index>`, else `content:<sha256 of the normalised item>`",
    role: "operator",
    body: BatchBody,
    maxBodyBytes: MAX_BATCH_BYTES,
    headers: [derivedKeyHeader("batch")],
    ok: { "202": json("Accepted: each item queued, existing or refused", BatchAcceptedSchema) },
  },
  {
    method: "get",
    path: `${P}/batches/{batchId}`,
    summary:
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
    summary:
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

/** What an agent uses besides REST: its WebSocket, enrollment codes, the queue version. */
export const AGENT_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/factories/connect`,
    summary:
      "Factory WebSocket (protocol v1, see src/shared/protocol.ts); 426 upgrade_required without `Upgrade: websocket`",
    role: "factory",
    ok: { "101": SWITCHING },
  },
  {
    method: "post",
    path: `${P}/factories/enrollment-codes`,
    summary:
      "A one-time enrollment code for an agent. At most 1,000 codes are live in a product at once: past that, 429 " +
      "limit_exceeded (`max`) until one is revoked, used or expired",
    role: "operator",
    body: EnrollmentCodeBody,
    bodyOptional: true,
    ok: { "201": json("The code (shown this once) and when it expires", A.EnrollmentCodeSchema) },
  },
  {
    method: "get",
    path: `${P}/factories/enrollment-codes`,
    summary: "The enrollment codes that can still be exchanged (never the code itself: only its hash is kept)",
    role: "operator",
    ok: { "200": json("Unused, unrevoked, unexpired codes, oldest first", A.EnrollmentCodeListSchema) },
  },
  {
    method: "delete",
    path: `${P}/factories/enrollment-codes/{codeId}`,
    summary:
      "Revoke an enrollment code: refused at exchange from now on. Idempotent: an already used, expired or revoked " +
      "code answers changed:false with its state; 404 for an unknown (or pruned) code",
    role: "operator",
    ok: { "200": json("Whether this call revoked it, and its state", A.EnrollmentCodeRevokedSchema) },
  },
  {
    method: "get",
    path: `${P}/queue-state`,
    summary: "The queue version (cheap change detection)",
    role: "member",
    ok: { "200": json("The queue version", A.QueueStateSchema) },
  },
];
