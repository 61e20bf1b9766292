/**
 * @module durable-objects/coordinator/submit
 * SUBMIT — contract:
 *   inputs: a validated manifest + verbatim body, the submitting actor, `now`.
 *   guard:  every dep (and the parent) exists in this product.
 *   output: a new job, `queued` (or `blocked` while its deps are unmet), the
 *           queue version bumped; or — when `idempotencyKey` was seen before —
 *           the job that key created, unchanged (`created: false`).
 */
import { depsState } from "../../core/dag.ts";
import { DomainError } from "../../core/errors.ts";
import type { Job, Manifest } from "../../core/model.ts";
import { depStages, recordDeps } from "./dependents.ts";
import { loadJob, saveJob } from "./job-rows.ts";
import { bumpQueueVersion } from "./meta.ts";
import { enqueueAudit, enqueueEvent, enqueueSnapshot } from "./outbox.ts";
import { newId, one, type Tx } from "./tx.ts";

export interface SubmitInput {
  manifest: Manifest;
  bodyMd: string;
}

export function jobByIdempotencyKey(sql: SqlStorage, key: string): Job | undefined {
  const row = one<{ id: string }>(sql, "SELECT id FROM jobs WHERE idempotency_key = ?", key);
  return row ? loadJob(sql, row.id) : undefined;
}

export function submitJob(tx: Tx, input: SubmitInput, actor: string): { job: Job; created: boolean } {
  const m = input.manifest;
  if (m.idempotencyKey) {
    const existing = jobByIdempotencyKey(tx.sql, m.idempotencyKey);
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
  const ready = depsState(m.depsMode, stages) === "satisfied";
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
  saveJob(tx.sql, job);
  recordDeps(tx, job);
  bumpQueueVersion(tx.sql);
  enqueueSnapshot(tx, job);
  enqueueEvent(tx, job.id, "job.submitted", { stage: job.stage, title: job.title, priority: job.priority });
  enqueueAudit(tx, actor, "job.submit", job.id, { stage: job.stage });
  return { job, created: true };
}
