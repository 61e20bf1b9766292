/**
 * @module durable-objects/coordinator/jobs/rows
 * Job persistence: the domain `Job` is stored as a JSON document plus the few
 * columns the coordinator queries by (stage, priority, lease, capability bucket). Both are written
 * from the same object by `saveJob`, so they cannot drift apart.
 */
import { capabilityKey } from "../../../core/capability-key.ts";
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import { type Job, LEASED_STAGES, type RunResult, type Stage } from "../../../core/model.ts";
import { PRIORITY_VALUE } from "../../../core/router.ts";
import { assertTransition, movesDispatch } from "../../../core/stages.ts";
import { execute } from "../../sql-statements.ts";
import { enqueueEvent, enqueueSnapshot } from "../outbox/records.ts";
import { noteSavedDoc } from "../outbox/snapshot-text.ts";
import { clearAlert } from "../policies/alerts.ts";
import { noteBuildingStarted } from "../policies/health-deadline.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";

export function loadJob(sql: SqlStorage, id: string): Job | undefined {
  // One row at most (the primary key), its columns by position: the mutable ones, then the document.
  const [values] = [...sql.exec(LOAD_TEXT, id).raw()] as Array<Array<string | number | null>>;
  if (!values) return undefined;
  const doc = values[MUTABLE.length] as string;
  const job = JSON.parse(doc) as Job;
  stored.set(job, values.slice(0, MUTABLE.length));
  loadedDocs.set(job, doc.length);
  return job;
}

/** Per job object read by `loadJob`: the length of the document text it was parsed from, in UTF-16 units. */
const loadedDocs = new WeakMap<Job, number>();

/**
 * The UTF-16 length of the stored document `job` was parsed from, when `job` is the very object `loadJob` returned
 * (jobs are never changed in place: `moveJob` and `touchJob` save copies); undefined for any other object.
 */
export function loadedDocLength(job: Job): number | undefined {
  return loadedDocs.get(job);
}

export function requireJob(sql: SqlStorage, id: string): Job {
  const job = loadJob(sql, id);
  if (!job) throw new NotFoundError("job", id);
  return job;
}

/**
 * Write `job`'s row: its document and the columns queried by. When `before` is the version this one was made
 * from and came from `loadJob` or a save, an UPDATE of only the columns that differ from what is stored,
 * guarded by the stored rev: SQLite then maintains only the indexes over those columns (13 on this table, most
 * untouched by a typical move), where the upsert rewrote them all. Anything else — a new job, a copy the row
 * has moved past — gets the full upsert, so a stale or hand-made `before` costs time, never a lost column.
 */
export function saveJob(sql: SqlStorage, job: Job, before?: Job): void {
  const next = mutableColumns(job);
  const doc = JSON.stringify(job);
  noteSavedDoc(job, doc); // its snapshot's `doc` is cut from this text (outbox/snapshot-text), not serialized again
  const prev = before && before.id === job.id ? stored.get(before) : undefined;
  if (prev) {
    let mask = 0;
    const values: SqlStorageValue[] = [];
    for (let i = 0; i < next.length; i++) {
      if (next[i] === prev[i]) continue;
      mask |= 1 << i;
      values.push(next[i] as SqlStorageValue);
    }
    if (execute(sql, updateText(mask), ...values, doc, job.id, prev[REV] as number) > 0) {
      stored.set(job, next);
      return;
    }
  }
  execute(
    sql,
    `INSERT INTO jobs(id, created_at, idempotency_key, parent_id, ${MUTABLE.join(", ")}, doc)
     VALUES (?, ?, ?, ?, ${MUTABLE.map(() => "?").join(", ")}, ?)
     ON CONFLICT(id) DO UPDATE SET ${MUTABLE.map((c) => `${c} = excluded.${c}`).join(", ")}, doc = excluded.doc`,
    job.id,
    job.createdAt,
    job.idempotencyKey ?? null,
    job.parentId ?? null,
    ...next,
    doc,
  );
  stored.set(job, next);
}

/** The columns a save may change (created_at, idempotency_key and parent_id are set once, at insert). */
const MUTABLE = [
  "stage",
  "priority_value",
  "queued_at",
  "serial_key",
  "holder_factory_id",
  "lease_epoch",
  "lease_expires_at",
  "not_before",
  "rev",
  "waiting_since",
  "cap_key",
] as const;
const REV = MUTABLE.indexOf("rev");
const LOAD_TEXT = `SELECT ${MUTABLE.join(", ")}, doc FROM jobs WHERE id = ?`;

/**
 * The mutable columns as stored, for job objects read by `loadJob` or written by `saveJob` in this instance: what
 * the next save diffs against. Keyed by the object, so a job changed in memory still diffs against its row.
 */
const stored = new WeakMap<Job, ReadonlyArray<string | number | null>>();

function mutableColumns(job: Job): Array<string | number | null> {
  return [
    job.stage,
    PRIORITY_VALUE[job.priority],
    job.queuedAt,
    job.serialKey ?? null,
    job.holderFactoryId ?? null,
    job.leaseEpoch,
    job.leaseExpiresAt ?? null,
    job.notBefore ?? null,
    job.rev,
    job.waitingSince ?? null, // a requeue that goes on waiting (moveJob): the starving page reads it by index
    capabilityKey(job), // the queue bucket (jobs/buckets): written here, with the rest of the row, and nowhere else
  ];
}

/** The UPDATE text per set of changed columns, built once (the runtime caches prepared statements by text). */
const updates = new Map<number, string>();
function updateText(mask: number): string {
  let text = updates.get(mask);
  if (!text) {
    const sets = MUTABLE.filter((_, i) => mask & (1 << i)).map((c) => `${c} = ?`);
    text = `UPDATE jobs SET ${[...sets, "doc = ?"].join(", ")} WHERE id = ? AND rev = ?`;
    updates.set(mask, text);
  }
  return text;
}

/**
 * Move a job to another stage: checks the transition table, bumps `rev` and the
 * queue version, and records a history snapshot — all inside the caller's
 * atomic unit. `changes` are applied before saving.
 * The feed's `job.stage` event carries `result` only when this move records one (see `resultOfMove`): `recorded`,
 * else the `lastResult` that `changes` set. The job's `lastResult` is the last run's whatever the move: carried on
 * every move but into queued/assigned, attempt 2's `assigned → building` said attempt 1's "failure: boom".
 */
export function moveJob(tx: Tx, job: Job, to: Stage, changes: Partial<Job> = {}, recorded?: RunResult): Job {
  assertTransition(job.id, job.stage, to);
  const next: Job = { ...job, ...changes, stage: to, rev: job.rev + 1, updatedAt: tx.now };
  // A new lease starts with no progress: an earlier attempt's note was read as this one's (its retry_exhausted lesson).
  if (to === "assigned" && !("progress" in changes)) next.progress = undefined;
  if (to === "queued") {
    next.queuedAt = changes.queuedAt ?? tx.now;
    // A lease lost without a result of the job's own does not end its wait (a caller may say otherwise).
    next.waitingSince =
      "waitingSince" in changes
        ? changes.waitingSince
        : LEASED_STAGES.includes(job.stage)
          ? waitingSinceOf(job)
          : undefined;
    // A queued job always has a try left: its claim counts attempt + 1, which must never pass maxAttempts (a
    // rework requeued with its attempt kept was claimed as "attempt 3 of 2"), whatever path put it here.
    if (next.attempt >= next.maxAttempts) next.attempt = Math.max(0, next.maxAttempts - 1);
  }
  saveJob(tx.sql, next, job);
  bumpQueueVersion(tx.sql, { dispatch: movesDispatch(job.stage, to) });
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
    ...resultOfMove(job, to, changes, recorded),
  });
  return next;
}

/**
 * The `result` a `job.stage` event carries: the one this move records — `recorded` (a retry of the failure just
 * recorded, a cancel's why), the `lastResult` that `changes` sets (a run's end, an expiry, a preemption, a budget
 * stop), or, for `failed → dead_letter` (only ever automatic: core/stages), the failure that used the last attempt
 * up. None for any other move (`assigned → building`, `review → testing`, `testing → shipped`, an operator's requeue):
 * the job's `lastResult` then belongs to an earlier move. In memory only: nothing read or written.
 */
function resultOfMove(job: Job, to: Stage, changes: Partial<Job>, recorded?: RunResult): { result?: RunResult } {
  const result =
    recorded ?? changes.lastResult ?? (job.stage === "failed" && to === "dead_letter" ? job.lastResult : undefined);
  return result ? { result } : {};
}

/**
 * When `job`'s current wait began (ms): its `queuedAt`, or earlier when it was requeued without ending its wait —
 * a lease lost without a result of its own (expiry, release, reject, preemption, budget stop, revoke) or a rate
 * limit. What `starving` and `stalled` measure from: measured from `queuedAt`, a job that kept losing its lease
 * never starved, however long it had been waiting to get done.
 */
export function waitingSinceOf(job: Pick<Job, "queuedAt" | "waitingSince">): number {
  return job.waitingSince ?? job.queuedAt;
}

/** Save a change that is not a stage change (checkpoint, progress, lease renewal). */
export function touchJob(tx: Tx, job: Job, changes: Partial<Job>): Job {
  const next: Job = { ...job, ...changes, rev: job.rev + 1, updatedAt: tx.now };
  saveJob(tx.sql, next, job);
  return next;
}

/** Changes that drop the lease: the job has no holder after this. */
export const NO_LEASE: Partial<Job> = {
  holderFactoryId: undefined,
  leaseExpiresAt: undefined,
  leaseStopsBy: undefined,
};

export function assertHolder(job: Job, factoryId: string, leaseEpoch: number): void {
  if (job.holderFactoryId !== factoryId) {
    throw new DomainError("not_lease_holder", `factory ${factoryId} does not hold the lease on job ${job.id}`, {
      jobId: job.id,
      leaseEpoch,
    });
  }
}
