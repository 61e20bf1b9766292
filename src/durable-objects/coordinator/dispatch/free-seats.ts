/**
 * @module durable-objects/coordinator/dispatch/free-seats
 * The free seats of one dispatch pass, indexed by capability (issue 12 item 4): the connected, active factories
 * with a free seat, built from cached documents (factories/cache) with `load` and `health` computed at read,
 * and for each job only the factories that hold every capability it requires are ranked. With 1,000 idle
 * factories that advertise nothing attached, a job requiring `bench:worker` is ranked against the few that
 * have it, not against 1,008.
 *
 * Ranking a subset is exact: every term but the learned one scores a factory on its own, and the learned one is
 * normalised against a reference set fixed per job — not the candidates ranked (core/track-term `referenceOf`, the
 * coordinator's in policies/track-records) — so the free few rank as the whole fleet would rank them (explain, the
 * waiting reason). Every factory left out is busy, not connected, or lacks a required capability.
 *
 * Cost of building: one pass over the connected ids in memory (a map lookup and an integer compare each),
 * plus, for each free factory only, a `Factory` object and its health. Busy factories are materialised only
 * when preemption asks for them (`live`).
 */
import { holdsAll } from "../../../core/capability-key.ts";
import { factoryHealth } from "../../../core/lease.ts";
import type { Factory, Job } from "../../../core/model.ts";
import { effectiveRequires } from "../../../core/router.ts";
import { cachedFactory } from "../factories/cache.ts";
import { factoryLoads } from "../factories/registry.ts";

export class FreeSeats {
  /** Every factory with a free seat, in connection order. */
  readonly all: Factory[] = [];
  private readonly byCapability = new Map<string, Factory[]>();
  private readonly made = new Map<string, Factory>();
  private readonly loads: Map<string, number>;
  /** `canRun` answers by bucket key, valid while `dropped` is unchanged (a full factory leaving can turn yes to no). */
  private readonly runnable = new Map<string, { dropped: number; yes: boolean }>();
  private dropped = 0;

  /** `connected`: by id, the factories with a live, greeted WebSocket; `now`: ms epoch for health. */
  constructor(
    private readonly sql: SqlStorage,
    private readonly connected: ReadonlyMap<string, unknown>,
    private readonly now: number,
  ) {
    this.loads = factoryLoads(sql);
    for (const id of connected.keys()) {
      const doc = cachedFactory(sql, id);
      if (!doc || doc.status !== "active" || (this.loads.get(id) ?? 0) >= doc.seats) continue;
      const f = this.make(id)!;
      this.all.push(f);
      for (const c of f.capabilities) {
        const bucket = this.byCapability.get(c);
        if (bucket) bucket.push(f);
        else this.byCapability.set(c, [f]);
      }
    }
  }

  /** A connected, active factory as the router sees it, once per pass (the plan mutates its `load`). */
  private make(id: string): Factory | undefined {
    const seen = this.made.get(id);
    if (seen) return seen;
    const doc = cachedFactory(this.sql, id);
    if (!doc || doc.status !== "active") return undefined;
    // As factories/registry reads a factory: the stored document without its connection generations.
    const { connection: _connection, closedConnection: _closed, ...rest } = doc;
    const health = factoryHealth(doc.lastHeartbeatAt, doc.leaseExpiries, this.now);
    // A connected factory is alive whatever its last heartbeat says.
    const f: Factory = { ...rest, load: this.loads.get(id) ?? 0, health: health === "down" ? "ok" : health };
    this.made.set(id, f);
    return f;
  }

  get size(): number {
    return this.all.length;
  }

  /** The free factories that hold every capability `job` requires: the smallest bucket of its requirements. */
  candidatesFor(job: Job): readonly Factory[] {
    let best: readonly Factory[] = this.all;
    for (const c of effectiveRequires(job)) {
      const bucket = this.byCapability.get(c);
      if (!bucket) return [];
      if (bucket.length < best.length) best = bucket;
    }
    return best;
  }

  /**
   * Some free factory holds every capability of `required` (a queue bucket's, jobs/buckets) — exactly, not just
   * each one somewhere. Memoised per bucket `key` until a factory fills; answers only turn from yes to no in a pass.
   */
  canRun(key: string, required: readonly string[]): boolean {
    const seen = this.runnable.get(key);
    if (seen && (seen.dropped === this.dropped || !seen.yes)) return seen.yes;
    let smallest: readonly Factory[] = this.all;
    for (const c of required) {
      const bucket = this.byCapability.get(c);
      if (!bucket || bucket.length === 0) {
        smallest = [];
        break;
      }
      if (bucket.length < smallest.length) smallest = bucket;
    }
    const yes = smallest.some((f) => holdsAll(new Set(f.capabilities), required));
    this.runnable.set(key, { dropped: this.dropped, yes });
    return yes;
  }

  /** The free factories that hold every capability of `required` (a queue bucket's). */
  holders(required: readonly string[]): Factory[] {
    let smallest: readonly Factory[] = this.all;
    for (const c of required) {
      const bucket = this.byCapability.get(c);
      if (!bucket) return [];
      if (bucket.length < smallest.length) smallest = bucket;
    }
    return smallest.filter((f) => holdsAll(new Set(f.capabilities), required));
  }

  /** `f` took one more job (its `load` already counted): drop it from the index once it is full. */
  took(f: Factory): void {
    if (f.load < f.seats) return;
    this.dropped += 1;
    drop(this.all, f);
    for (const c of f.capabilities) {
      const bucket = this.byCapability.get(c);
      if (bucket) drop(bucket, f);
    }
  }

  /** Every connected, active factory, full or not (preemption's candidates), sharing the free ones' objects. */
  live(): Factory[] {
    const out: Factory[] = [];
    for (const id of this.connected.keys()) {
      const f = this.make(id);
      if (f) out.push(f);
    }
    return out;
  }
}

function drop(list: Factory[], f: Factory): void {
  const at = list.indexOf(f);
  if (at >= 0) list.splice(at, 1);
}
