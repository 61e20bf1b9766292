/**
 * @module worker/openapi-ops-policy
 * The fleet-policy operations of the OpenAPI document (issue 8): composite children and trees, product settings,
 * serial-gate freezes and reviews.
 */

import { MAX_CHILDREN_PER_PARENT, MAX_CHILDREN_PER_REQUEST } from "../core/composite.ts";
import { DEFAULT_SETTINGS } from "../core/settings.ts";
import { JobTreeSchema, ReviewAnswerSchema, ReviewsViewSchema } from "../shared/api-job-answers.ts";
import {
  ChildrenBody,
  FreezeBody,
  MAX_CHILDREN_BYTES,
  ReviewBody,
  SerialFreezeAnswerSchema,
  SerialListQuery,
  SerialPageSchema,
  SerialUnfreezeAnswerSchema,
  SettingsAnswerSchema,
  SettingsPatchBody,
  UnfreezeBody,
} from "../shared/api-policies.ts";
import { ChildrenAnswerSchema } from "../shared/api-responses.ts";
import { type Op, P } from "./openapi-ops.ts";
import { derivedKeyHeader } from "./openapi-ops-intake.ts";
import { json, replay } from "./openapi-schemas.ts";

/** Composite jobs: children and the subtree. */
export const COMPOSITE_OPS: Op[] = [
  {
    method: "post",
    path: `${P}/jobs/{jobId}/children`,
    operationId: "addJobChildren",
    summary: "Make a queued or blocked job a composite parent with these children",
    description:
      "Make a queued or blocked job a composite parent with these children (201 {parent, children}): the parent " +
      "waits in blocked until they end, then moves to review/testing, or fails per onChildFailure. A child's deps " +
      "may name a sibling by #<index>; cycles, unknown deps and deps that ended without shipping → 400 " +
      "`validation_failed` naming them. A parent that started or ended → 409 `illegal_transition`; one below a " +
      "composite whose cancel is still cascading → 409 `ancestor_cancelled` (details.ancestorId). At most " +
      `${MAX_CHILDREN_PER_REQUEST} children and ${MAX_CHILDREN_BYTES / 1024 / 1024} MiB per request, ` +
      `${MAX_CHILDREN_PER_PARENT} per parent over all requests (past it → 400). A child whose JSON would pass what one ` +
      "assignment carries to a factory (its body's control characters escape to six bytes each) → 413 " +
      "`payload_too_large` naming its size and the limit, nothing created: shorten its body. " +
      "With an Idempotency-Key header (≤ 128 bytes) a retry of the same request → 200 with the same children as they are now " +
      "(idempotent-replayed: true), another request under the key → 409 conflict",
    role: "operator",
    body: ChildrenBody,
    maxBodyBytes: MAX_CHILDREN_BYTES,
    // A child has no key of its own (its idempotencyKey is a 400), so the batch's "its own key wins" is not said.
    headers: [derivedKeyHeader("children:<parent>", "; a child may not carry an idempotencyKey")],
    ok: {
      "201": json("The parent and its children, in the request's order", ChildrenAnswerSchema),
      "200": replay(
        "The same request again under its key: its parent and children as they are now",
        ChildrenAnswerSchema,
      ),
    },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/tree`,
    operationId: "getJobTree",
    summary: "The job's subtree (at most 8 levels and 1000 nodes)",
    description:
      "The job's subtree {root: TreeNode}: id, title, stage, kind, priority, deps, waitingReason, children; " +
      "at most 8 levels and 1000 nodes (a cut node has truncated: true)",
    role: "viewer",
    ok: { "200": json("The subtree", JobTreeSchema) },
  },
];

/** The product's settings. */
export const SETTINGS_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/settings`,
    operationId: "getSettings",
    summary: "The product's settings, every key",
    description:
      // Named from the record itself: a hand-written list stopped at budgetPaused, five keys short of "every key".
      `The product's settings, every key: ${Object.keys(DEFAULT_SETTINGS).join(", ")} (defaults for any never set) ` +
      "— and `aging` (derived, never set): whether " +
      "a low job under a steady stream of high jobs is assigned within a bound (`holds`: weights.starvation above " +
      "`starvationAbove`, 2), that bound in minutes, and a message saying the guarantee is off when it is",
    role: "viewer",
    ok: { "200": json("The settings, and whether the aging guarantee holds", SettingsAnswerSchema) },
  },
  {
    method: "patch",
    path: `${P}/settings`,
    operationId: "updateSettings",
    summary: "Change settings (any subset): answers the whole new record",
    description:
      "Change settings (any subset; nested objects merge key by key; unknown keys, frozenSerialKeys and budgetPaused " +
      "— written by the serial-gate and budget endpoints — are 400): answers the whole new record. 400 also when the " +
      "merged record has retry.maxSeconds below retry.baseSeconds or breaker.maxCoolDownSeconds below " +
      "breaker.coolDownSeconds; a refused patch changes nothing. A patch that changes nothing writes nothing. " +
      "Audited (settings.update, with the changed keys); a new leaseTtlSeconds is pushed to connected " +
      "factories as a `settings` frame. 409 conflict when new weights would make a running experiment's two arms " +
      "route alike (stop it first). No version precondition: of two concurrent patches of one key the last wins",
    role: "operator",
    body: SettingsPatchBody,
    ok: { "200": json("The whole new settings record, and the aging guarantee", SettingsAnswerSchema) },
  },
];

/** Serial gates and reviews (issue 8, part 4). */
export const GATE_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/serial`,
    operationId: "listSerialKeys",
    summary: "Serial gates: every key with a holder, a queue or a freeze",
    description:
      "Serial gates: every key with a holder, a queue or a freeze, in key order — `{keys: [{key, holder, stopping: " +
      "{jobId, factoryId, leaseEpoch, until} | null (a run whose lease was taken, holding the key while it stops), " +
      "queue (as dispatch takes them: due most urgent first, then those in retry backoff; ≤ 50 ids), next (the job " +
      "dispatch runs next: due now; null if none), nextDueAt (with none due: when the first backoff ends), " +
      "queueLength, frozen: {by, reason, at} | null}], nextCursor?}`",
    role: "viewer",
    query: SerialListQuery,
    ok: { "200": json("A page of serial keys", SerialPageSchema) },
  },
  {
    method: "post",
    path: `${P}/serial/{key}/freeze`,
    operationId: "freezeSerialKey",
    summary: "Freeze a serial key: no new dispatch of its jobs",
    description:
      "Freeze a serial key (URL-encoded): no new dispatch of its jobs, the current holder runs on; audited " +
      "`serial.freeze` with the reason; 429 limit_exceeded past 100 frozen keys",
    role: "operator",
    body: FreezeBody,
    ok: { "200": json("The key's gate, frozen, and whether it changed", SerialFreezeAnswerSchema) },
  },
  {
    method: "post",
    path: `${P}/serial/{key}/unfreeze`,
    operationId: "unfreezeSerialKey",
    summary: "Unfreeze a serial key (idempotent)",
    description:
      "Unfreeze a serial key: its most urgent waiting job is dispatched; audited `serial.unfreeze`. Idempotent: a " +
      "key that is not frozen answers `changed: false` (nothing written or audited)",
    role: "operator",
    body: UnfreezeBody,
    bodyOptional: true,
    ok: { "200": json("The key's gate, unfrozen, and whether it was frozen", SerialUnfreezeAnswerSchema) },
  },
  {
    method: "post",
    path: `${P}/jobs/{jobId}/reviews`,
    operationId: "reviewJob",
    summary: "Approve or reject a job as the calling token",
    description:
      "Review a job as the calling token (its id counts once towards the quorum; the job's own factory is refused): " +
      "approve (the quorum moves it to testing) or reject (failed, or requeued with the comment as feedback per " +
      "onReject — a requeued rework starts with fresh attempts; a composite, which has no run to redo, always fails; a " +
      "running job's lease is taken). With `round` (GET's `round`, the build the reviewer read), a job requeued and " +
      "rebuilt since → 409 `conflict`, nothing recorded. 201 `{job, jobId, stage, round, required, approvals, " +
      "approvers, reviews}`",
    role: "operator",
    body: ReviewBody,
    ok: { "201": json("The review gate after this review, and the job", ReviewAnswerSchema) },
  },
  {
    method: "get",
    path: `${P}/jobs/{jobId}/reviews`,
    operationId: "getReviewGate",
    summary: "The review gate of a job: its quorum and every review",
    description:
      "The review gate of a job: `{jobId, stage, round, required, approvals, approvers, reviews: [{reviewer (token id), " +
      "reviewerName, verdict, comment, at, counted}]}`",
    role: "viewer",
    ok: { "200": json("The review gate", ReviewsViewSchema) },
  },
];
