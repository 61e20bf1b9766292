/**
 * @module durable-objects/coordinator/dag/dependents
 * DAG gating inside one product: a job whose `deps` are not yet satisfied (or a composite parent whose children
 * have not all ended) waits in `blocked`; every time a job settles, the jobs waiting on it are re-evaluated —
 * queued when satisfied, failed (`dependency_failed` / `child_failed`) when they never can be, moved on to
 * review/testing when a composite's children are done — and the failures cascade: SETTLE_CHUNK waiters in the unit
 * that settled it, the rest by the alarm at once (dag/settle-walk).
 *
 * ONE re-evaluation: every place a job settles calls `settled(tx, job)` with the job as the unit leaves it — an
 * operator action (coordinator/jobs/actions), a failure report after its retry decision (coordinator/jobs/report), a lease
 * expiry that dead-letters (coordinator/dispatch/lease-ops, reached by fence, the alarm, claims and the cron reaper). A job
 * "settles" when it is shipped, cancelled, dead-lettered, or left in `failed` (no automatic retry will take it out:
 * a retry moves it on to `queued` before the unit ends). A new settle point must call `settled` too.
 *
 * Requeue after failure: an operator may later requeue a failed or dead-lettered dep; the dependents it failed stay
 * failed (their failure was decided when the dep settled) — requeue them as well to run them again.
 */
import {
  type CompositeState,
  childFailedMessage,
  childrenDoneMessage,
  compositeState,
  dependencyFailedMessage,
} from "../../../core/composite.ts";
import { depsState, failedDep, isDead } from "../../../core/dag.ts";
import { DomainError } from "../../../core/errors.ts";
import type { Job, Stage } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { moveJob } from "../jobs/rows.ts";
import { enqueueEvent } from "../outbox/records.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { settleDependents } from "./settle-walk.ts";

export function depStages(sql: SqlStorage, deps: readonly string[]): Array<Stage | undefined> {
  return deps.map((id) => one<{ stage: Stage }>(sql, "SELECT stage FROM jobs WHERE id = ?", id)?.stage);
}

export function recordDeps(tx: Tx, job: Job): void {
  for (const dep of job.deps) {
    execute(tx.sql, "INSERT OR IGNORE INTO job_deps(job_id, dep_id) VALUES (?, ?)", job.id, dep);
  }
}

/** A composite parent's children (id, stage), oldest first (creation order = the order their request listed them). */
export function childStages(sql: SqlStorage, parentId: string): Array<{ id: string; stage: Stage }> {
  return sql
    .exec<{ id: string; stage: Stage }>(
      "SELECT id, stage FROM jobs WHERE parent_id = ? ORDER BY created_at, id",
      parentId,
    )
    .toArray();
}

/** Whether a job in this stage, at the end of a unit, has settled for the jobs waiting on it. */
export function hasSettled(stage: Stage): boolean {
  return stage === "shipped" || isDead(stage);
}

/**
 * Call with a job as the unit leaves it: when it has settled, re-evaluate everything waiting on it. Returns the
 * job unchanged, so a settle point can wrap its return value (`return settled(tx, moveJob(…))`).
 */
export function settled(tx: Tx, job: Job): Job {
  if (hasSettled(job.stage)) settleDependents(tx, job.id);
  return job;
}

/**
 * The gate of one blocked job, applied: its deps first (a dead dep fails it even while children run), then — for
 * a composite — its children. Returns the moved job, or undefined when it keeps waiting.
 */
export function reevaluate(tx: Tx, job: Job): Job | undefined {
  const stages = depStages(tx.sql, job.deps);
  const deps = job.deps.map((id, i) => ({ id, stage: stages[i] }));
  const dead = failedDep(job.depsMode, deps);
  if (dead) {
    enqueueEvent(tx, job.id, "job.dependency_failed", dead);
    return failJob(tx, job, dependencyFailedMessage(dead.depId, dead.depStage));
  }
  const depsMet =
    depsState(
      job.depsMode,
      deps.map((d) => d.stage),
    ) === "satisfied";
  if (job.kind !== "composite") return depsMet ? moveJob(tx, job, "queued") : undefined;
  const state: CompositeState = compositeState(
    childStages(tx.sql, job.id),
    job.manifest.onChildFailure ?? "fail",
    job.manifest.reviewers,
  );
  if (state.state === "failed") {
    enqueueEvent(tx, job.id, "job.child_failed", { childId: state.childId, childStage: state.childStage });
    return failJob(tx, job, childFailedMessage(state.childId, state.childStage));
  }
  if (state.state === "done" && depsMet) {
    return moveJob(tx, job, state.next, { lastResult: { outcome: "success", message: childrenDoneMessage(state) } });
  }
  return undefined;
}

/**
 * After an operator puts a job back in `queued` (requeue, reject-with-requeue): a job with a gate goes back to
 * waiting in `blocked` until it is met again — a composite never builds, a dependent never runs before its deps
 * ship. Throws `conflict` (409, nothing changed) when the gate can never be met (a dep or child that ended without
 * shipping is named): requeue that one first.
 */
export function regate(tx: Tx, job: Job): Job {
  if (job.stage !== "queued" || (job.deps.length === 0 && job.kind !== "composite")) return job;
  if (job.kind !== "composite" && depsState(job.depsMode, depStages(tx.sql, job.deps)) === "satisfied") return job;
  const blocked = moveJob(tx, job, "blocked");
  const next = reevaluate(tx, blocked);
  if (next?.stage === "failed") {
    const reason = next.lastResult?.message ?? "";
    // A cancelled or vanished blocker cannot be requeued (cancelled is final): say so, not "requeue it first",
    // which the stage table refuses (found by a reviewer).
    const hint = FINAL_BLOCKER.test(reason)
      ? "that job is cancelled or gone for good, so this one can never run again: submit its work as a new job"
      : "requeue that job first";
    throw new DomainError("conflict", `job ${job.id} cannot run again: ${reason}; ${hint}`, { jobId: job.id, reason });
  }
  return next ?? blocked;
}

/**
 * A children request's guard (dag/children `checkParent`): refuses (409 `conflict`, nothing written) a `blocked` parent
 * whose own deps can never be met — a dep ended without shipping and its settle walk (dag/settle-walk) has not reached
 * the parent yet, so it is still `blocked`, about to fail. Once reached it is `failed` and refused as such; until
 * then its new children were made (201) and ran, paid for, under a parent already lost. At most 100 stage reads.
 */
export function refuseDoomedParent(sql: SqlStorage, parent: Job): void {
  if (parent.stage !== "blocked" || parent.deps.length === 0) return;
  const stages = depStages(sql, parent.deps);
  const dead = failedDep(
    parent.depsMode,
    parent.deps.map((id, i) => ({ id, stage: stages[i] })),
  );
  if (!dead) return;
  const reason = dependencyFailedMessage(dead.depId, dead.depStage);
  throw new DomainError(
    "conflict",
    `job ${parent.id} cannot be given children: it can never run (${reason}) and is about to fail; requeue ` +
      `${dead.depId} first, or give the work to another job`,
    { jobId: parent.id, reason },
  );
}

/** The end of a `child_failed` / `dependency_failed` message (core/composite, core/dag) for a blocker no requeue brings back. */
const FINAL_BLOCKER = / is (cancelled|unknown)$/;

/** A failure no retry can fix: the gate will not reopen by itself (an operator's requeue starts it over). */
function failJob(tx: Tx, job: Job, message: string): Job {
  return moveJob(tx, job, "failed", { lastResult: { outcome: "failure", retryable: false, message } });
}
