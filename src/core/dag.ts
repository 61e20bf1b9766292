/**
 * @module core/dag
 * Job dependencies (SPEC §6 DAG): whether a job's `deps` let it leave `blocked`, can
 * never do so, or must keep waiting; and whether a new dependency edge would close
 * a cycle (a cycle would block every job on it forever, so it is refused up front).
 */
import type { DepsMode, Stage } from "./model.ts";

export type DepsState = "satisfied" | "waiting" | "impossible";

/**
 * Dep stages that end a dependency without shipping it. `failed` is here because, at the end of every atomic
 * unit, a job still in `failed` is one no automatic retry will take out (a transient failure with attempts left
 * moves on to `queued` in the same unit that failed it — coordinator/jobs/report `afterFailure`). An operator may
 * still requeue a failed or dead-lettered dep later; the dependents it failed stay failed (each can be requeued
 * too): a dependent's failure is decided once, when its dep settles, never undone behind the operator's back.
 */
export const DEAD_DEP_STAGES: readonly Stage[] = ["failed", "dead_letter", "cancelled"];

/** A dep that does not exist (undefined stage) is as dead as a cancelled one: it will never ship. */
export function isDead(stage: Stage | undefined): boolean {
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
 * The dependency that makes a job's gate impossible, for its `dependency_failed` reason: the first dead dep in
 * `deps` order (`stage` undefined = the dep no longer exists). Undefined while the gate can still be met —
 * in mode `any` that is while one dep is alive or shipped.
 */
export function failedDep(
  mode: DepsMode,
  deps: ReadonlyArray<{ id: string; stage: Stage | undefined }>,
): { depId: string; depStage: Stage | "unknown" } | undefined {
  if (
    depsState(
      mode,
      deps.map((d) => d.stage),
    ) !== "impossible"
  )
    return undefined;
  const dead = deps.find((d) => isDead(d.stage));
  return dead ? { depId: dead.id, depStage: dead.stage ?? "unknown" } : undefined;
}

/** The jobs a job waits for: its deps, and — for a composite parent — its children. */
export type Neighbours = ReadonlyMap<string, readonly string[]> | ((id: string) => readonly string[]);

/**
 * If adding the edge `from → to` ("from depends on to") would close a cycle, the
 * cycle as a list of ids starting and ending at `from` (for the error message);
 * otherwise undefined. `edges` maps a job id to the ids it waits for (a map, or a
 * lookup function the coordinator backs with its tables, so only the reachable part
 * of the graph is read). Iterative DFS, so a deep chain cannot overflow the stack;
 * each node is visited once (so the work is bounded by the jobs of the product).
 */
export function findCyclePath(edges: Neighbours, from: string, to: string): string[] | undefined {
  if (from === to) return [from, from];
  const next = typeof edges === "function" ? edges : (id: string) => edges.get(id) ?? [];
  const parent = new Map<string, string>([[to, from]]);
  const stack = [to];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const n of next(node)) {
      if (parent.has(n)) continue;
      parent.set(n, node);
      if (n === from) return unwind(parent, from);
      stack.push(n);
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
export function wouldCycle(edges: Neighbours, from: string, to: string): boolean {
  return findCyclePath(edges, from, to) !== undefined;
}
