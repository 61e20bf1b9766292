/**
 * @module durable-objects/coordinator/dag/cycle-reach
 * Whether new children close a dependency cycle, at a cost bounded by the smaller side of the graph. New jobs (the
 * `labels`, placeholders) get edges from one stored parent (it waits on each of them) and to their deps; a stored
 * job's only edge into a new one is the parent's, so a cycle is either among the new jobs alone or passes through
 * the parent: some stored dep `d` of a new job reaches the parent, and then `new → d → … → parent → new` is one.
 *
 * The search from the new jobs' deps (core/dag `findCycle`) reads all they wait on: a child waiting on a live epic
 * of 12,000 jobs read 24,002 rows, on every submission. So it runs within SEARCH_BUDGET jobs first — what it
 * answers then is what it always answered —; past that, the jobs that wait on the parent (its dependents, its own
 * parent, theirs, …; a job ended for good waits on nothing) are gathered within the same budget, and a dep among
 * them names the cycle along them. Only when both sides are larger is the whole forward search run, as before.
 */
import { endedForGood, findCycle } from "../../../core/dag.ts";
import type { Stage } from "../../../core/model.ts";

/** Jobs one side of the search reads at most before trying the other side: a few thousand reads, milliseconds. */
export const SEARCH_BUDGET = 1_000;

/** The jobs that wait on `?1`: its dependents (`job_deps`' key), and its parent (a parent waits on its children). */
const WAITERS_SQL = `SELECT j.id AS id, j.stage AS stage FROM job_deps d JOIN jobs j ON j.id = d.job_id
  WHERE d.dep_id = ?1
  UNION ALL SELECT p.id AS id, p.stage AS stage FROM jobs c JOIN jobs p ON p.id = c.parent_id WHERE c.id = ?1
  LIMIT ${SEARCH_BUDGET + 1}`;

class OverBudget extends Error {}

/**
 * A cycle the new edges close (first id repeated at the end), or undefined. `neighbours(id)`: what `id` waits on,
 * new edges included (dag/children `assertAcyclic`). `budget`: SEARCH_BUDGET (a test passes a small one).
 */
export function newCycle(
  sql: SqlStorage,
  newEdges: ReadonlyMap<string, readonly string[]>,
  labels: readonly string[],
  neighbours: (id: string) => readonly string[],
  budget = SEARCH_BUDGET,
): string[] | undefined {
  let expanded = 0;
  const bounded = (id: string): readonly string[] => {
    if (++expanded > budget) throw new OverBudget();
    return neighbours(id);
  };
  try {
    return findCycle(bounded, labels);
  } catch (err) {
    if (!(err instanceof OverBudget)) throw err;
  }
  const viaParent = cycleViaParent(sql, newEdges, labels, budget);
  return viaParent === "too_large" ? findCycle(neighbours, labels) : viaParent;
}

/** The cycle through the parent (or among the new jobs), undefined for none; "too_large" past the budget. */
function cycleViaParent(
  sql: SqlStorage,
  newEdges: ReadonlyMap<string, readonly string[]>,
  labels: readonly string[],
  budget: number,
): string[] | undefined | "too_large" {
  const placeholders = new Set(labels);
  const entries = [...newEdges.keys()].filter((k) => !placeholders.has(k));
  const parent = entries[0];
  const intoNew = new Set(parent === undefined ? [] : newEdges.get(parent));
  // The argument above holds for one stored parent waiting on every new job, which is how children are made.
  if (parent === undefined || entries.length > 1 || labels.some((l) => !intoNew.has(l))) return "too_large";
  const inner = findCycle((id) => (newEdges.get(id) ?? []).filter((n) => placeholders.has(n)), labels);
  if (inner) return inner;
  const toward = waitersOf(sql, parent, budget);
  if (!toward) return "too_large";
  for (const k of labels) {
    for (const d of newEdges.get(k) ?? []) {
      if (placeholders.has(d) || !toward.has(d)) continue;
      const path = [k];
      for (let at: string | null = d; at !== null; at = toward.get(at) ?? null) path.push(at);
      return [...path, k];
    }
  }
  return undefined;
}

/**
 * Every job that reaches `target` along waits-on edges, each mapped to the next job on its way there (`target` to
 * null), breadth-first; undefined once more than `budget` are found.
 */
function waitersOf(sql: SqlStorage, target: string, budget: number): Map<string, string | null> | undefined {
  const next = new Map<string, string | null>([[target, null]]);
  const queue = [target];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    const rows = sql.exec<{ id: string; stage: Stage }>(WAITERS_SQL, at).toArray();
    if (rows.length > budget) return undefined; // (the read stops at SEARCH_BUDGET + 1 rows)
    for (const { id, stage } of rows) {
      // A job ended for good waits on nothing (core/dag `endedForGood`), as the forward search treats it.
      if (next.has(id) || endedForGood(stage)) continue;
      if (next.size > budget) return undefined;
      next.set(id, at);
      queue.push(id);
    }
  }
  return next;
}
