/**
 * @module durable-objects/coordinator/jobs/rows
 * Job persistence: the domain `Job` is stored as a JSON document plus the few
 * columns the coordinator queries by (stage, priority, lease, capability bucket). Both are written
 * from the same object by `saveJob`, so they cannot drift apart.
 */
import { capabilityKey } from "../../../core/capability-key.ts";
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import type { Job, Stage } from "../../../core/model.ts";
import { PRIORITY_VALUE } from "../../../core/router.ts";
import { assertTransition } from "../../../core/stages.ts";
import { enqueueEvent, enqueueSnapshot } from "../outbox/records.ts";
import { clearAlert } from "../policies/alerts.ts";
import { noteBuildingStarted } from "../policies/health-deadline.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";

interface JobRow extends Record<string, SqlStorageValue> {
  doc: string;
}

export function rowToJob(row: JobRow): Job {
  return JSON.parse(row.doc) as Job;
}

export function loadJob(sql: SqlStorage, id: string): Job | undefined {
  const row = one<JobRow>(sql, "SELECT doc FROM jobs WHERE id = ?", id);
  return row ? rowToJob(row) : undefined;
}

export function requireJob(sql: SqlStorage, id: string): Job {
  const job = loadJob(sql, id);
  if (!job) throw new NotFoundError("job", id);
  return job;
}

export function saveJob(sql: SqlStorage, job: Job): void {
  sql.exec(
    `INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, serial_key, idempotency_key, parent_id,
                      holder_factory_id, lease_epoch, lease_expires_at, not_before, rev, doc, cap_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET
       stage = excluded.stage, priority_value = excluded.priority_value, queued_at = excluded.queued_at,
       serial_key = excluded.serial_key, holder_factory_id = excluded.holder_factory_id,
       lease_epoch = excluded.lease_epoch, lease_expires_at = excluded.lease_expires_at,
       not_before = excluded.not_before, rev = excluded.rev, doc = excluded.doc, cap_key = excluded.cap_key`,
    job.id,
    job.stage,
    PRIORITY_VALUE[job.priority],
    job.queuedAt,
    job.createdAt,
    job.serialKey ?? null,
    job.idempotencyKey ?? null,
    job.parentId ?? null,
    job.holderFactoryId ?? null,
    job.leaseEpoch,
    job.leaseExpiresAt ?? null,
    job.notBefore ?? null,
    job.rev,
    JSON.stringify(job),
    capabilityKey(job), // the queue bucket (jobs/buckets): written here, with the rest of the row, and nowhere else
  );
}

/**
 * Move a job to another stage: checks the transition table, bumps `rev` and the
 * queue version, and records a history snapshot — all inside the caller's
 * atomic unit. `changes` are applied before saving.
 */
export function moveJob(tx: Tx, job: Job, to: Stage, changes: Partial<Job> = {}): Job {
  assertTransition(job.id, job.stage, to);
  const next: Job = { ...job, ...changes, stage: to, rev: job.rev + 1, updatedAt: tx.now };
  if (to === "queued") next.queuedAt = changes.queuedAt ?? tx.now;
  saveJob(tx.sql, next);
  bumpQueueVersion(tx.sql);
  // Leaving building ends "stuck", leaving the queue ends "starving", leaving a budget failure ends its alert:
  // resolved in this very unit (policies/alerts).
  if (job.stage === "building") clearAlert(tx, "stuck", `job:${job.id}`);
  if (job.stage === "queued") clearAlert(tx, "starving", `job:${job.id}`);
  // An operator's requeue of a job ended over its budget is the answer to that alert.
  if (job.stage === "failed" && job.lastResult?.outcome === "budget_exceeded")
    clearAlert(tx, "job_budget_exceeded", `job:${job.id}`);
  if (to === "building") noteBuildingStarted(tx); // the alarm wakes by the time it could be stuck
  enqueueSnapshot(tx, next);
  enqueueEvent(tx, next.id, "job.stage", {
    from: job.stage,
    to,
    leaseEpoch: next.leaseEpoch,
    attempt: next.attempt,
    ...(next.holderFactoryId ? { holderFactoryId: next.holderFactoryId } : {}),
    ...(to !== "queued" && to !== "assigned" && next.lastResult ? { result: next.lastResult } : {}),
  });
  return next;
}

/** Save a change that is not a stage change (checkpoint, progress, lease renewal). */
export function touchJob(tx: Tx, job: Job, changes: Partial<Job>): Job {
  const next: Job = { ...job, ...changes, rev: job.rev + 1, updatedAt: tx.now };
  saveJob(tx.sql, next);
  return next;
}

/** Changes that drop the lease: the job has no holder after this. */
export const NO_LEASE: Partial<Job> = { holderFactoryId: undefined, leaseExpiresAt: undefined };

export function assertHolder(job: Job, factoryId: string, leaseEpoch: number): void {
  if (job.holderFactoryId !== factoryId) {
    throw new DomainError("not_lease_holder", `factory ${factoryId} does not hold the lease on job ${job.id}`, {
      jobId: job.id,
      leaseEpoch,
    });
  }
}
