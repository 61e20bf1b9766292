/**
 * @module core/composite
 * Composite jobs (SPEC §6 DAG, issue "fleet policies" §3): whether a parent waiting in `blocked` on its children
 * keeps waiting (n of m ended), moves on to `review` or `testing`, or fails naming the child that sank it — per its
 * manifest's `onChildFailure` (`fail` | `continue`) and `reviewers`.
 */
import { counted } from "./counted.ts";
import { isDead } from "./dag.ts";
import type { Stage } from "./model.ts";

export type OnChildFailure = "fail" | "continue";
export const ON_CHILD_FAILURE = ["fail", "continue"] as const;

/** At most this many children per `POST …/children` request (or inline `children:` list): one unit, one RPC. */
export const MAX_CHILDREN_PER_REQUEST = 500;
/** At most this many children per parent over all requests: every child's settle re-reads its siblings' stages. */
export const MAX_CHILDREN_PER_PARENT = 2000;

/**
 * At most this many levels of children below a job that has no parent (its children are level 1). What reads up a
 * job's parent chain — a requeue's cancelled-ancestor guard, the cascade hold of dispatch and of new children — costs
 * a read per level, and with no limit a chain grew as deep as a product has jobs: a requeue at depth 20,000 read
 * 20,001 rows and held the coordinator 1.1 s. Composites nest a few deep in practice (epic → story → task).
 */
export const MAX_NESTING_DEPTH = 32;

export type CompositeState =
  | { state: "waiting"; ended: number; total: number }
  | { state: "done"; next: "review" | "testing"; shipped: number; total: number }
  | { state: "failed"; childId: string; childStage: Stage };

/** A child has ended when it can no longer ship on its own: shipped, or dead (failed without retry, dead letter, cancelled). */
export function childEnded(stage: Stage): boolean {
  return stage === "shipped" || isDead(stage);
}

/**
 * The parent's gate from its children's current stages (in creation order) — meaningful at the end of a unit,
 * when a `failed` child is one no automatic retry will take out (see core/dag DEAD_DEP_STAGES).
 * - `fail` (the default): the first child that ended without shipping fails the parent at once, named;
 *   when every child shipped the parent is `done`.
 * - `continue`: failed/cancelled children do not fail the parent; it waits until EVERY child has ended, then
 *   is `done` if at least one child shipped — a composite none of whose parts shipped has nothing to review or
 *   test, so it fails naming its first child instead of passing an empty result on.
 * `done.next` is `review` when the parent's manifest asks for reviewers (`reviewers > 0`), else `testing` —
 * the same gate a built job passes (coordinator/jobs/report). No children at all is `waiting` (0 of 0): a parent
 * made composite with an empty list has nothing to wait for yet, and its children are still to come.
 */
export function compositeState(
  children: ReadonlyArray<{ id: string; stage: Stage }>,
  onChildFailure: OnChildFailure,
  reviewers: number,
): CompositeState {
  const total = children.length;
  const ended = children.filter((c) => childEnded(c.stage));
  const shipped = ended.filter((c) => c.stage === "shipped").length;
  const next = reviewers > 0 ? "review" : "testing";
  if (onChildFailure === "fail") {
    const sunk = children.find((c) => isDead(c.stage));
    if (sunk) return { state: "failed", childId: sunk.id, childStage: sunk.stage };
  }
  if (total === 0 || ended.length < total) return { state: "waiting", ended: ended.length, total };
  if (shipped === 0) return { state: "failed", childId: children[0]!.id, childStage: children[0]!.stage };
  return { state: "done", next, shipped, total };
}

/** The `lastResult.message` of a parent its children moved on: "2 of 3 children shipped", "1 of 1 child shipped". */
export function childrenDoneMessage(state: Extract<CompositeState, { state: "done" }>): string {
  return `${state.shipped} of ${counted(state.total, "child", "children")} shipped`;
}

/** The `lastResult.message` of a parent failed by a child: `child_failed: <childId> is <stage>`. */
export function childFailedMessage(childId: string, childStage: Stage): string {
  return `child_failed: ${childId} is ${childStage}`;
}

/**
 * REQUEUE UNDER A CANCELLED ANCESTOR — the job among `ancestors` (a job's parent first, then its parent's, up to the
 * root) whose stage makes a requeue of the job pointless: the nearest `cancelled` one, or undefined.
 * - `cancelled` is final, and a composite's cancel is its whole subtree's (coordinator/dag/cancel-subtree): a child
 *   that ended before the cascade reached it (dead_letter) or was still `failed` must not be brought back to run,
 *   and spend, under a parent that is gone — nor be put back in a queue the cascade will empty again.
 * - `failed` (and `dead_letter`) is not final: an operator may requeue the ancestor, so its subtree's jobs may be
 *   requeued too (each one's run then stands on its own; the ancestor's gate is re-evaluated when it is requeued).
 * - Any other stage (live, shipped) refuses nothing.
 */
export function cancelledAncestor<A extends { id: string; stage: Stage }>(ancestors: ReadonlyArray<A>): A | undefined {
  return ancestors.find((a) => a.stage === "cancelled");
}

/** The detail of a requeue refused `ancestor_cancelled`: which job above it was cancelled, and what is left to do. */
export function ancestorCancelledMessage(jobId: string, ancestorId: string): string {
  return (
    `job ${jobId} cannot be requeued: ${ancestorId}, a composite job above it, is cancelled, and so is its work ` +
    "(cancelled is final): submit this job's work as a new job if it is still wanted"
  );
}

/** The detail of children refused `ancestor_cancelled`: their parent is below a composite whose cancel is reaching it. */
export function childrenUnderCancelledMessage(parentId: string, ancestorId: string): string {
  return (
    `job ${parentId} cannot be given children: ${ancestorId}, a composite job above it, is cancelled, and its cancel ` +
    "is reaching the jobs below it (cancelled is final): submit this work as a new job if it is still wanted"
  );
}

/** The `lastResult.message` of a dependent failed by a dep (the contract's wording): `dependency_failed: <depId> is <stage>`. */
export function dependencyFailedMessage(depId: string, depStage: string): string {
  return `dependency_failed: ${depId} is ${depStage}`;
}
