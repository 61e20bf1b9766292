/**
 * @module core/dag
 * Job dependencies (SPEC §6 DAG): whether a job's `deps` let it leave `blocked`, can
 * never do so, or must keep waiting; and whether a new dependency edge would close
 * a cycle (a cycle would block every job on it forever, so it is refused up front).
 */
import type { DepsMode, Stage } from "./model.ts";
import { allowedFrom } from "./stages.ts";

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

/**
 * Whether a job in `stage` will never wait on anything again: no transition leaves it (shipped, cancelled — not
 * failed or dead_letter, which an operator may requeue, their gate re-evaluated). A cycle through such a job blocks
 * nothing — what waits on it is already satisfied (shipped) or failed by it (cancelled), and it waits on nothing —
 * so the cycle search does not follow its edges. Followed, they led a new child of a long-lived product through
 * its whole shipped history (a dep on the last of 1,000 chained jobs read all 1,000, on every request).
 */
export function endedForGood(stage: Stage): boolean {
  return allowedFrom(stage).length === 0;
}

/** Jobs a refused cycle's problem names at most: enough to see where it runs, a few KB however long it is. */
export const MAX_CYCLE_NAMED = 20;

/**
 * How a refused cycle (`findCycle`'s list, first id repeated at the end) is named in its problem: whole while it
 * has at most MAX_CYCLE_NAMED jobs; past that, its first MAX_CYCLE_NAMED ids (each waits on the next) and how many
 * more close it, with `length` its jobs in all. A cycle runs through every live job chained between a dep and
 * the parent, and nothing bounds a chain: named whole, a 3,000-job one made a 297 KB problem, repeated in its
 * `detail`, `cycle` and issue.
 */
export function namedCycle(cycle: readonly string[]): { text: string; cycle: string[]; length?: number } {
  const length = cycle.length - 1;
  if (length <= MAX_CYCLE_NAMED) return { text: cycle.join(" → "), cycle: [...cycle] };
  const shown = cycle.slice(0, MAX_CYCLE_NAMED);
  const text = `${shown.join(" → ")} → … ${length - MAX_CYCLE_NAMED} more … → ${cycle[0]}`;
  return { text, cycle: shown, length };
}

/** The jobs a job waits for: its deps, and — for a composite parent — its children. */
export type Neighbours = ReadonlyMap<string, readonly string[]> | ((id: string) => readonly string[]);

/**
 * A dependency cycle reachable from `starts`, as the list of ids along it, first id repeated at the end (each id
 * waits for the next), or undefined when there is none. `edges` maps a job id to the ids it waits for: a map, or a
 * lookup the coordinator backs with its tables, so only the reachable part of the graph is read.
 *
 * ONE depth-first search over everything reachable from all the starts together (the classic three-colour
 * search: a node on the current path reached again closes a cycle). Each node is expanded, and so read, at most
 * once: the work is O(V + E) of the reachable graph whatever the number of starts. Checking each new edge with a
 * search of its own cost O(E·(V + E)): 500 children with 100 sibling deps each took minutes and stalled the
 * coordinator. Iterative, so a deep chain cannot overflow the stack.
 */
export function findCycle(edges: Neighbours, starts: Iterable<string>): string[] | undefined {
  const next = typeof edges === "function" ? edges : (id: string) => edges.get(id) ?? [];
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Map<string, typeof ON_PATH | typeof DONE>();
  for (const start of starts) {
    if (state.has(start)) continue;
    const path = [start];
    const pending = [next(start)];
    const at = [0];
    state.set(start, ON_PATH);
    while (path.length > 0) {
      const top = path.length - 1;
      const list = pending[top]!;
      if (at[top]! === list.length) {
        state.set(path.pop()!, DONE);
        pending.pop();
        at.pop();
        continue;
      }
      const n = list[at[top]!++]!;
      const seen = state.get(n);
      if (seen === ON_PATH) return [...path.slice(path.lastIndexOf(n)), n];
      if (seen === DONE) continue;
      state.set(n, ON_PATH);
      path.push(n);
      pending.push(next(n));
      at.push(0);
    }
  }
  return undefined;
}
