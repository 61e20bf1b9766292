/**
 * @module durable-objects/coordinator/jobs/batch-reach
 * Whether a bulk batch's item closes a dependency cycle, asked for many items in ONE call (jobs/batch-refs) at a
 * cost bounded by the graph, not by graph × items or graph × parents. A new job X with parent P and deps D adds the
 * edges P → X (a parent waits on its children) and X → d for each d in D; the graph is acyclic, so a new cycle
 * passes through X and exists exactly when P is reachable from some d (d = P included).
 *
 * ONE search from all the batch's deps (`prepare`) reads each job's edges once (two SQL reads) and gives every job
 * it meets, in post-order, the set of the batch's parents it reaches (jobs/reach-bits), or none — the mark "reaches
 * no parent of this batch" that most jobs get. An item then asks its deps' sets, and a cycle's path follows, from
 * each job on it, the first successor whose set holds the parent (a table per job, made once). A sound item's edges
 * count for the later items: the jobs that reached its parent now also reach what its deps reach, walked back from
 * the parent and no further than a job that held it all already.
 *
 * Cost, in `steps`: each job and edge of the deps' graph once, plus the words of the sets combined along the edges —
 * a set spans only the words its parents use, so in the reviewer's batch (1,999 items, each under its own child of
 * one 2,000-child dep and waiting on it) that is a word per edge: ~10 k steps where the search per parent took 4 M
 * (951 ms holding the coordinator). Strictly linear for any pairs of deps and parents is not to be had (answering
 * "does d reach P" for arbitrary pairs is the transitive closure); the words keep that factor at T/32 at worst.
 */
import { storedWaitsOn } from "../dag/children.ts";
import { forEachNew, ReachBits, unionOf } from "./reach-bits.ts";

/** Reachability toward a batch's parents over the product's stored edges (deps and children), for one call. */
export class ReachMemo {
  private readonly edges = new Map<string, readonly string[]>();
  /** Edges the batch's earlier sound items will add (their parent waits on them, they on their deps). */
  private readonly added = new Map<string, string[]>();
  /** Parents of the batch that some dep reaches → their bit. */
  private readonly index = new Map<string, number>();
  /** Job → the parents it reaches; absent: it reaches none of the batch's parents. */
  private readonly reach = new Map<string, ReachBits>();
  /** Job → the jobs of the search that wait on it (the edges walked back when an item adds edges). */
  private readonly waiters = new Map<string, string[]>();
  private readonly seen = new Set<string>();
  /** Job → per parent bit, its first successor toward it; made at `version`, remade once the sets changed. */
  private readonly firstSteps = new Map<string, { version: number; next: Map<number, string> }>();
  private version = 0;
  /** In-memory work so far: jobs expanded, edges followed, words of sets combined, path steps (a test's bound). */
  steps = 0;

  constructor(private readonly sql: SqlStorage) {}

  /**
   * Searches once from `starts` (every dep of the batch's items under a parent) and numbers the `parents` met.
   * Iterative (a deep chain cannot overflow the stack). Call before `pathTo`; again only with new starts.
   */
  prepare(starts: Iterable<string>, parents: ReadonlySet<string>): void {
    const frames: Array<{ id: string; next: readonly string[]; at: number }> = [];
    const enter = (id: string) => {
      this.seen.add(id);
      this.steps++;
      frames.push({ id, next: this.waitsOn(id), at: 0 });
    };
    for (const start of starts) {
      if (!this.seen.has(start)) enter(start);
      while (frames.length > 0) {
        const top = frames[frames.length - 1]!;
        if (top.at < top.next.length) {
          const m = top.next[top.at++]!;
          this.steps++;
          this.waitersOf(m).push(top.id);
          // A job met again is finished (the stored graph is acyclic), so its set is final when its waiter's is made.
          if (!this.seen.has(m)) enter(m);
          continue;
        }
        frames.pop();
        const sets = top.next.flatMap((m) => this.reach.get(m) ?? []);
        if (parents.has(top.id)) {
          this.index.set(top.id, this.index.size);
          sets.push(ReachBits.of(this.index.size - 1));
        }
        if (sets.length > 0) this.reach.set(top.id, this.join(sets));
      }
    }
  }

  /**
   * The jobs along a path from `from` to `target` (both included; `[target]` when they are the same), each waiting
   * on the next, or undefined when `target` cannot be reached from `from`. The path is the first in the edges'
   * order (a job's deps, its children, then what the batch added), as a depth-first search would find it. `from`
   * must be one of `prepare`'s starts.
   */
  pathTo(from: string, target: string): string[] | undefined {
    const bit = this.index.get(target);
    if (bit === undefined || !this.reach.get(from)?.has(bit)) return undefined;
    const path = [from];
    for (let n = from; n !== target; ) {
      n = this.firstStepsOf(n).get(bit)!; // n reaches the target and is not it: a successor of n does
      path.push(n);
      this.steps++;
    }
    return path;
  }

  /**
   * An earlier item of the batch, sound and so to be created, under `parent` with `deps` (all among `prepare`'s
   * starts): the parent will wait on each dep through it, and later items see that edge (two items can close a
   * cycle together: A's child waits on B, B's on A). Every job that reaches the parent now reaches what the deps
   * reach too — and nothing else: the deps do not reach the parent, or the item would not be sound.
   */
  addItem(parent: string, deps: readonly string[]): void {
    if (deps.length === 0) return;
    this.added.set(parent, [...(this.added.get(parent) ?? []), ...deps]);
    if (!this.index.has(parent)) return; // no dep of the batch reaches it, and these edges cannot change that
    this.version++;
    for (const d of deps) this.waitersOf(d).push(parent);
    const sets = deps.flatMap((d) => this.reach.get(d) ?? []);
    if (sets.length === 0) return;
    const gained = this.join(sets);
    const queue = [parent];
    const met = new Set(queue);
    while (queue.length > 0) {
      const n = queue.pop()!;
      const had = this.reach.get(n)!;
      this.steps += gained.words.length;
      if (had.covers(gained)) continue; // and so do all that wait on it: they reach it
      this.reach.set(n, this.join([had, gained]));
      for (const w of this.waiters.get(n) ?? []) {
        this.steps++;
        if (!met.has(w)) {
          met.add(w);
          queue.push(w);
        }
      }
    }
  }

  /** Per parent bit that `id` reaches through a successor: the first such successor in the edges' order. */
  private firstStepsOf(id: string): ReadonlyMap<number, string> {
    const made = this.firstSteps.get(id);
    if (made && made.version === this.version) return made.next;
    const own = this.reach.get(id)!;
    const taken = new Uint32Array(own.words.length);
    const next = new Map<number, string>();
    for (const m of this.waitsOn(id)) {
      const set = this.reach.get(m);
      if (!set) continue;
      this.steps += set.words.length;
      forEachNew(set, taken, own.lo, (bit) => {
        this.steps++;
        next.set(bit, m);
      });
    }
    this.firstSteps.set(id, { version: this.version, next });
    return next;
  }

  /** The union of `sets`, counting the words it reads and writes (one set is shared, not copied). */
  private join(sets: readonly ReachBits[]): ReachBits {
    if (sets.length === 1) return sets[0]!;
    const union = unionOf(sets);
    this.steps += union.words.length;
    for (const s of sets) this.steps += s.words.length;
    return union;
  }

  private waitersOf(id: string): string[] {
    const list = this.waiters.get(id) ?? [];
    if (list.length === 0) this.waiters.set(id, list);
    return list;
  }

  /** What job `id` waits on: its stored deps and children (read once per call), and what the batch adds. */
  private waitsOn(id: string): readonly string[] {
    const extra = this.added.get(id);
    return extra ? [...this.stored(id), ...extra] : this.stored(id);
  }

  private stored(id: string): readonly string[] {
    const cached = this.edges.get(id);
    if (cached) return cached;
    const all = storedWaitsOn(this.sql, id); // nothing past a job that ended for good (dag/children)
    this.edges.set(id, all);
    return all;
  }
}
