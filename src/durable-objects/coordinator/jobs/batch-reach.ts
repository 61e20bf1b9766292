/**
 * @module durable-objects/coordinator/jobs/batch-reach
 * Whether a bulk batch's item closes a dependency cycle, asked for many items in ONE call (jobs/batch-refs) at a
 * cost bounded by the graph, not by graph × items. A new job X with parent P and deps D adds the edges P → X (a
 * parent waits on its children) and X → d for each d in D; the existing graph is acyclic, so a new cycle passes
 * through X and exists exactly when P is reachable from some d (d = P included). What is learnt is kept for the
 * whole call:
 *   - each job's edges (its deps, its children: two SQL reads) are read at most once;
 *   - per target parent P, every job whose search finished without meeting P is known not to reach it, and every
 *     job on a path that met P knows its next step toward P.
 * So the reads are at most two per job reachable from the batch's deps. A parent outside the `closure` of all the
 * batch's deps (the usual case) needs no search at all; one inside costs O(V + E) of that graph in memory, once. dag/children `assertAcyclic` once per item re-read the whole
 * reachable graph each time: 1,999 items under one parent, each depending on a job with 2,000 children, held the
 * coordinator for 74 s.
 */

/** What one target parent's searches learnt: job → its next step toward the target; jobs that cannot reach it. */
interface Toward {
  next: Map<string, string>;
  dead: Set<string>;
}

/** Reachability toward parents over the product's stored edges (deps and children), memoised for one call. */
export class ReachMemo {
  private readonly edges = new Map<string, readonly string[]>();
  /** Edges the batch's earlier sound items will add (their parent waits on them, they on their deps). */
  private readonly added = new Map<string, string[]>();
  private readonly targets = new Map<string, Toward>();
  /** Jobs expanded in memory so far (searches and closures), so a test can hold the in-memory work to its bound. */
  steps = 0;

  constructor(private readonly sql: SqlStorage) {}

  /** Every job reachable from `starts` (starts included), by one search: what any of them waits on, transitively. */
  closure(starts: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const stack = [...starts];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      this.steps++;
      for (const m of this.waitsOn(n)) if (!seen.has(m)) stack.push(m);
    }
    return seen;
  }

  /**
   * The jobs along a path from `from` to `target` (both included; `[target]` when they are the same), each waiting
   * on the next, or undefined when `target` cannot be reached from `from`. Depth-first and iterative (a deep chain
   * cannot overflow the stack); a job already settled for `target` by an earlier call is not searched again.
   */
  pathTo(from: string, target: string): string[] | undefined {
    let memo = this.targets.get(target);
    if (!memo) {
      memo = { next: new Map(), dead: new Set() };
      this.targets.set(target, memo);
    }
    const { next, dead } = memo;
    const known = (n: string) => n === target || next.has(n);
    if (known(from)) return this.follow(from, target, next);
    if (dead.has(from)) return undefined;
    const path = [from];
    const onPath = new Set(path);
    const pending = [this.waitsOn(from)];
    const at = [0];
    while (path.length > 0) {
      const top = path.length - 1;
      const list = pending[top]!;
      if (at[top]! === list.length) {
        const done = path.pop()!;
        onPath.delete(done);
        dead.add(done); // everything it reaches was searched without meeting the target
        pending.pop();
        at.pop();
        continue;
      }
      const n = list[at[top]!++]!;
      if (known(n)) {
        for (let i = 0; i < path.length; i++) next.set(path[i]!, path[i + 1] ?? n);
        return this.follow(from, target, next);
      }
      // On the path: only a cycle already stored could lead back, and the stored graph has none — skip, not loop.
      if (dead.has(n) || onPath.has(n)) continue;
      path.push(n);
      onPath.add(n);
      this.steps++;
      pending.push(this.waitsOn(n));
      at.push(0);
    }
    return undefined;
  }

  private follow(from: string, target: string, next: ReadonlyMap<string, string>): string[] {
    const path = [from];
    for (let n = from; n !== target; ) {
      n = next.get(n)!;
      path.push(n);
    }
    return path;
  }

  /**
   * An earlier item of the batch, sound and so to be created, under `parent` with `deps`: the parent will wait on
   * each dep through it. Later items' searches see that edge (two items can close a cycle together: A's child waits
   * on B, B's on A); what the memo knew to be unreachable may no longer be, so it is forgotten. The closure stays
   * right: the deps were its start points already.
   */
  addItem(parent: string, deps: readonly string[]): void {
    if (deps.length === 0) return;
    this.added.set(parent, [...(this.added.get(parent) ?? []), ...deps]);
    this.targets.clear();
  }

  /** What job `id` waits on: its stored deps and children (read once per call), and what the batch adds. */
  private waitsOn(id: string): readonly string[] {
    const extra = this.added.get(id);
    return extra ? [...this.stored(id), ...extra] : this.stored(id);
  }

  private stored(id: string): readonly string[] {
    const cached = this.edges.get(id);
    if (cached) return cached;
    const row = this.sql
      .exec<{ deps: string | null }>("SELECT json_extract(doc, '$.deps') AS deps FROM jobs WHERE id = ?", id)
      .toArray()[0];
    const deps = row?.deps ? (JSON.parse(row.deps) as string[]) : [];
    const children = this.sql
      .exec<{ id: string }>("SELECT id FROM jobs WHERE parent_id = ?", id)
      .toArray()
      .map((r) => r.id);
    const all = [...deps, ...children];
    this.edges.set(id, all);
    return all;
  }
}
