/**
 * @module durable-objects/coordinator/jobs/submit
 * SUBMIT — contract:
 *   inputs: a validated manifest + verbatim body, the submitting actor, `now`.
 *   guard:  every dep (and the parent) exists in this product; the deps can still be met (a dep that ended
 *           without shipping is refused, named, unless mode `any` has another); no dependency cycle through the
 *           parent (coordinator/dag/children). With `children:`, the job is a composite parent, waiting in `blocked`,
 *           and its children are created in the same unit (coordinator/dag/children `addChildren`).
 *   output: a new job, `queued` (or `blocked` while its deps are unmet), the
 *           queue version bumped, its key stored with the request's hash; or —
 *           when `idempotencyKey` was seen with the same request — the job that
 *           key created, unchanged (`created: false`).
 *   errors: `conflict` (409) when the key was seen with a different request
 *           (coordinator/jobs/idempotency); `validation_failed` for unknown deps/parent; `payload_too_large` (413,
 *           `{ size, limit }`) when the job's JSON passes MAX_ASSIGNED_JOB_BYTES — no `assign` could carry it, so it
 *           would only be ended `failed` at dispatch (dispatch/frame-bound); nothing is written.
 */
import { depsState, failedDep } from "../../../core/dag.ts";
import { DomainError, type ErrorCode } from "../../../core/errors.ts";
import { oversizedJob } from "../../../core/job-size.ts";
import type { Job } from "../../../core/model.ts";
import type { SubmitInput } from "../../../shared/coordinator-rpc.ts";
import { MAX_ASSIGNED_JOB_BYTES } from "../../../shared/protocol.ts";
import { keyConflict, requestHash } from "../../../shared/request-hash.ts";
import { addChildren, adoptChildren, announceChildren, assertAcyclic, checkParent } from "../dag/children.ts";
import { depStages, recordDeps } from "../dag/dependents.ts";
import { enqueueAudit, enqueueEvent, enqueueSnapshot } from "../outbox/records.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import { newId, type Tx } from "../runtime/tx.ts";
import { rejectedBefore, rejectQueuedItems } from "./batches.ts";
import { findKey, recordKey } from "./idempotency.ts";
import { loadJob, saveJob } from "./rows.ts";

/** The placeholder a cycle message names the job being submitted by (it has no id yet). */
const NEW = "(this job)";

/**
 * Creates a job (or returns the one its idempotency key made). A job naming `parentId` is its parent's child, as
 * if added through `…/children` (dag/children: the same guard, the parent made composite and blocked, announced).
 * `asChild`: made by dag/children itself, which did that for the whole request, and searched its whole graph for
 * cycles at once (a search per child would read every sibling made before it, quadratic in a request's size).
 */
export function submitJob(tx: Tx, input: SubmitInput, actor: string, asChild = false): { job: Job; created: boolean } {
  const { children, ...m } = input.manifest; // children are jobs of their own, never part of the parent's document
  if (children) m.kind = "composite";
  const hash = m.idempotencyKey ? requestHash(input) : undefined;
  if (m.idempotencyKey) {
    const seen = findKey(tx.sql, m.idempotencyKey);
    if (seen && seen.requestHash !== hash) throw keyConflict(m.idempotencyKey, seen.jobId);
    const existing = seen ? loadJob(tx.sql, seen.jobId) : undefined;
    if (existing) return { job: existing, created: false };
  }
  const stages = depStages(tx.sql, m.deps);
  const missing = m.deps.filter((_, i) => stages[i] === undefined);
  if (missing.length > 0) {
    throw new DomainError("validation_failed", `unknown deps in product ${tx.productId}: ${missing.join(", ")}`, {
      issues: missing.map((id) => ({ path: "deps", message: `job ${id} does not exist` })),
    });
  }
  if (m.parentId && !loadJob(tx.sql, m.parentId)) {
    throw new DomainError("validation_failed", `parent job ${m.parentId} does not exist`, {
      issues: [{ path: "parentId", message: "no such job" }],
    });
  }
  // Checked now, adopted once nothing can refuse: a bulk refusal keeps what its submission wrote (submitEach).
  const adopting = m.parentId && !asChild ? checkParent(tx, m.parentId, 1) : undefined;
  const dead = failedDep(
    m.depsMode,
    m.deps.map((id, i) => ({ id, stage: stages[i] })),
  );
  if (dead) {
    throw new DomainError("validation_failed", `dependency ${dead.depId} is ${dead.depStage}: it can never ship`, {
      issues: [{ path: "deps", message: `${dead.depId} is ${dead.depStage}; requeue it first` }],
    });
  }
  // Only a job with a parent can close a cycle: nothing yet depends on a new id, but its parent will wait on it.
  if (adopting)
    assertAcyclic(
      tx.sql,
      new Map([
        [adopting.parent.id, [NEW]],
        [NEW, m.deps],
      ]),
      [NEW],
    );
  const ready = depsState(m.depsMode, stages) === "satisfied" && m.kind !== "composite";
  const job: Job = {
    id: newId("job", tx.now),
    productId: tx.productId,
    title: m.title,
    bodyMd: input.bodyMd,
    manifest: m,
    stage: ready ? "queued" : "blocked",
    priority: m.priority,
    requires: m.requires,
    prefers: m.prefers,
    engine: m.engine,
    repo: m.repo,
    budget: m.budget,
    deps: m.deps,
    depsMode: m.depsMode,
    parentId: m.parentId,
    kind: m.kind,
    idempotencyKey: m.idempotencyKey,
    rev: 1,
    leaseEpoch: 0,
    attempt: 0,
    maxAttempts: m.maxAttempts,
    serialKey: m.serialKey,
    createdAt: tx.now,
    updatedAt: tx.now,
    queuedAt: tx.now,
  };
  assertAssignable(job);
  if (adopting) adoptChildren(tx, adopting.parent);
  saveJob(tx.sql, job);
  if (m.idempotencyKey && hash) recordKey(tx.sql, m.idempotencyKey, hash, job.id, tx.now);
  recordDeps(tx, job);
  bumpQueueVersion(tx.sql);
  enqueueSnapshot(tx, job);
  enqueueEvent(tx, job.id, "job.submitted", { stage: job.stage, title: job.title, priority: job.priority });
  enqueueAudit(tx, actor, "job.submit", job.id, { stage: job.stage });
  if (adopting) announceChildren(tx, adopting.parent, [job], adopting.existing, actor);
  if (children) return { job: addChildren(tx, job.id, children, actor).parent, created: true };
  return { job, created: true };
}

/**
 * Refuses a job no `assign` frame could carry, before anything of it is written (contract above).
 * @throws DomainError `payload_too_large` (413) with `{ size, limit }`, bytes of JSON
 */
function assertAssignable(job: Job): void {
  const size = oversizedJob(job, MAX_ASSIGNED_JOB_BYTES);
  if (size === undefined) return;
  throw new DomainError(
    "payload_too_large",
    `the job would be ${size} bytes of JSON, over the ${MAX_ASSIGNED_JOB_BYTES} bytes one assignment may carry to a ` +
      "factory (control characters in its body count six bytes each as JSON): shorten its body and submit it again",
    { size, limit: MAX_ASSIGNED_JOB_BYTES },
  );
}

/** One submission's answer in a batch: the job, or the refusal a single submit would have thrown. */
export type SubmitEachResult =
  | { ok: true; jobId: string; created: boolean }
  | { ok: false; code: ErrorCode; message: string; key: string | undefined };

/**
 * Many submissions in one unit (bulk / queue delivery), each idempotent by its key. A DomainError refuses only
 * its own submission, so one bad manifest does not sink the batch; any other error aborts the whole unit.
 * `batchId`: the bulk batch the inputs came from (jobs/batches), whose refused items are rejected there.
 */
export function submitEach(tx: Tx, inputs: SubmitInput[], actor: string, batchId?: string): SubmitEachResult[] {
  const results = inputs.map((input): SubmitEachResult => {
    if (input.manifest.children) {
      // A refusal here keeps what a submission already wrote, so a parent must not be half-made: POST /jobs it.
      const message = "children are not accepted in bulk: submit the parent through POST /jobs or …/children";
      return { ok: false as const, code: "validation_failed" as const, message, key: input.manifest.idempotencyKey };
    }
    const key = input.manifest.idempotencyKey;
    // Delivered again (at least once) after this batch's record rejected it: refused again, never made now.
    const before =
      batchId !== undefined && key ? rejectedBefore(tx, batchId, key, () => requestHash(input)) : undefined;
    if (before !== undefined) {
      const message = `refused when this batch's message was first delivered (${before}): a rejected item stays so`;
      return { ok: false as const, code: before as ErrorCode, message, key };
    }
    try {
      const { job, created } = submitJob(tx, input, actor);
      return { ok: true as const, jobId: job.id, created };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return { ok: false as const, code: err.code, message: err.message, key: input.manifest.idempotencyKey };
    }
  });
  // A refused item of a bulk batch is rejected there for good (jobs/batches), not left queued.
  const refused = results.flatMap((r) => (!r.ok && r.key !== undefined ? [{ key: r.key, code: r.code }] : []));
  if (batchId !== undefined && refused.length > 0) rejectQueuedItems(tx, batchId, refused);
  return results;
}
