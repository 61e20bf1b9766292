/**
 * @module core/dag
 * Job dependencies (SPEC §6 DAG): whether a job's `deps` let it leave `blocked`, can
 * never do so, or must keep waiting; and whether a new dependency edge would close
 * a cycle (a cycle would block every job on it forever, so it is refused up front).
 */
import type { DepsMode, Stage } from "./model.ts";

export type DepsState = "satisfied" | "waiting" | "impossible";

/**
 * Dep stages that can never become `shipped`. `failed` is NOT here: an operator can
 * requeue a failed job (failed → queued), so a dependent keeps waiting for it.
 */
export const DEAD_DEP_STAGES: readonly Stage[] = ["dead_letter", "cancelled"];

/** A dep that does not exist (undefined stage) is as dead as a cancelled one: it will never ship. */
function isDead(stage: Stage | undefined): boolean {
  return stage === undefined || DEAD_DEP_STAGES.includes(stage);
}

/**
 * Evaluates a job's dependency gate from the current stages of its deps (in any order;
 * `undefined` = the dep id is unknown).
 * - mode `all`: satisfied when every dep shipped; impossible as soon as one is dead.
 * - mode `any`: satisfied when some dep shipped; impossible only when every dep is dead.
 * No deps at all is satisfied in both modes (nothing to wait for).
 */
export function depsState(mode: DepsMode, depStages: ReadonlyArray<Stage | undefined>): DepsState {
  if (depStages.length === 0) return "satisfied";
  if (mode === "all") {
    if (depStages.some(isDead)) return "impossible";
    return depStages.every((s) => s === "shipped") ? "satisfied" : "waiting";
  }
  if (depStages.some((s) => s === "shipped")) return "satisfied";
  return depStages.every(isDead) ? "impossible" : "waiting";
}

/**
 * If adding the edge `from → to` ("from depends on to") would close a cycle, the
 * cycle as a list of ids starting and ending at `from` (for the error message);
 * otherwise undefined. `edges` maps a job id to the ids it depends on. Iterative
 * DFS, so a deep chain cannot overflow the stack; each node is visited once.
 */
export function findCyclePath(
  edges: ReadonlyMap<string, readonly string[]>,
  from: string,
  to: string,
): string[] | undefined {
  if (from === to) return [from, from];
  const parent = new Map<string, string>([[to, from]]);
  const stack = [to];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const next of edges.get(node) ?? []) {
      if (parent.has(next)) continue;
      parent.set(next, node);
      if (next === from) return unwind(parent, from);
      stack.push(next);
    }
  }
  return undefined;
}

/** Walks the parent links back from `from` (reached via `to`) to rebuild from → to → … → from. */
function unwind(parent: ReadonlyMap<string, string>, from: string): string[] {
  const path = [from];
  let node = parent.get(from);
  while (node !== undefined && node !== from) {
    path.push(node);
    node = parent.get(node);
  }
  path.push(from);
  return path.reverse();
}

/** Whether adding the dependency `from → to` would create a cycle. */
export function wouldCycle(edges: ReadonlyMap<string, readonly string[]>, from: string, to: string): boolean {
  return findCyclePath(edges, from, to) !== undefined;
}
