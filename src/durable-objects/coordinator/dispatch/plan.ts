/**
 * @module durable-objects/coordinator/dispatch/plan
 * PUSH DISPATCH — contract:
 *   inputs: the factories with a live, greeted WebSocket; `now`.
 *   guard:  as for a claim (router filter: capabilities, status, health, free
 *           seat, serial gate, budget, and the per-holder exclusion: a job is
 *           not re-offered to a factory that let its lease expire, released
 *           or rejected it until that exclusion's backoff ends; not below a cancel
 *           cascade under way; a job with no budget left ended, not assigned).
 *   walk:   only the capability buckets (jobs/buckets) some free factory can run, merged in urgency order
 *           (dispatch/urgency-order): jobs no connected factory could take are never read; while the product's
 *           budget is paused, no job at all (none could pass the filter).
 *   output: the most urgent due jobs assigned (lease + epoch + attempt) to
 *           their best-scoring connected factory, grouped per factory so one
 *           `assign` frame carries every job for that factory's free seats.
 * Runs on submit, when a seat frees, on requeue, on unblock and on connect —
 * whenever the queue version moved — so there is no polling loop anywhere.
 * PREEMPTION: a `critical` job no free seat fits may take a running job's seat
 * (coordinator/dispatch/preempt, core/preemption) in this same unit; the plan then lists
 * that eviction, and the caller pushes its `cancel` before the `assign`.
 */
import { holdsAll } from "../../../core/capability-key.ts";
import type { Factory, Job } from "../../../core/model.ts";
import { breakerHeldEngines } from "../../../core/route-filter.ts";
import { PRIORITY_VALUE, rankFactories } from "../../../core/router.ts";
import type { Assignment } from "../../../shared/protocol.ts";
import { cascadeHold } from "../dag/cancel-subtree.ts";
import { anyQueued, type Bucket } from "../jobs/buckets.ts";
import { loadJob } from "../jobs/rows.ts";
import { dispatchPaused } from "../policies/budget.ts";
import { dispatchAllowance } from "../policies/job-allowance.ts";
import { lessonsForAssignment } from "../policies/lesson-rows.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { assignJob, closedSerialKeys, dueJobIdsByUrgency, routeContext } from "./claim.ts";
import { assignable } from "./frame-bound.ts";
import { FreeSeats } from "./free-seats.ts";
import { type Eviction, preemptFor } from "./preempt.ts";
import { type Admit, hasDueJob, MAX_SCAN } from "./urgency-order.ts";

/** One pass's decisions: the victims to stop (sent first), then the assignments per factory. */
export interface DispatchPlan {
  evictions: Eviction[];
  assigns: Map<string, Assignment[]>;
  /** The pass met a due job a free seat's factory could run after the seats ran out: runnable work waits. */
  waiting: boolean;
}

export function planAndAssign(
  tx: Tx,
  connected: ReadonlyMap<string, { att: { leaseTtlSeconds?: number } }>,
): DispatchPlan {
  const plan: DispatchPlan = { evictions: [], assigns: new Map(), waiting: false };
  // Nothing queued, nothing to place: a pass for a seat that freed with the queue empty (every other pass at a
  // steady rate of single submits) costs this one seek, not the seats, the route context and the bucket walk.
  if (!anyQueued(tx.sql)) return plan;
  // A paused budget refuses every job on every factory (core/route-filter `budget_paused`), preemption's included:
  // walking the queue would parse and score up to MAX_SCAN jobs per pass to place none of them.
  if (dispatchPaused(tx)) return plan; // rolled over first: past a period's boundary exhaustion's pause has ended
  const settings = getSettings(tx.sql);
  // Free seats from cached factory documents, indexed by capability (dispatch/free-seats): no row read per idle factory.
  const free = new FreeSeats(tx.sql, connected, tx.now);
  // With preemption on, a critical job may still be placed when every seat is taken (core/preemption).
  const preemption = settings.preemption;
  if (free.size === 0 && !preemption) return plan;
  const ctx = routeContext(tx);
  const busy = new Set(ctx.busySerialKeys);
  const critical = PRIORITY_VALUE.critical;
  // Every connected, active factory, full or not: preemption's candidates, made once and only if asked for.
  let live: Factory[] | undefined;
  const liveFactories = (): Factory[] => {
    live ??= free.live();
    return live;
  };
  let liveCaps: Set<string>[] | undefined;
  const liveCapabilities = (): Set<string>[] => {
    liveCaps ??= liveFactories().map((f) => new Set(f.capabilities));
    return liveCaps;
  };
  // Per bucket: it holds a due critical job some connected factory could run if a seat were freed. Asked only with
  // preemption on, of buckets no free seat fits; the seek comes first so a bucket without critical work never
  // makes the pass build every connected factory (1,000 idle sockets). Fixed for the pass: memoised.
  const preemptible = new Map<string, boolean>();
  const mayPreempt = (b: Bucket): boolean => {
    let yes = preemptible.get(b.key);
    if (yes === undefined) {
      yes = hasDueJob(tx, b.key, critical) && liveCapabilities().some((held) => holdsAll(held, b.capabilities));
      preemptible.set(b.key, yes);
    }
    return yes;
  };
  // Only buckets a free factory can run — or, for critical jobs with preemption on, one a busy factory could
  // (core/preemption needs the victim's factory to fit but for the seat). The rest are never read.
  // A bucket's class closed after it was admitted holds a due job a seat was taken from under
  // (dispatch/urgency-order asks again with that job in hand): runnable work waits.
  const admitted = new Set<string>();
  const admit: Admit = (b, priority) => {
    const yes = free.canRun(b.key, b.capabilities) || (preemption && priority === critical && mayPreempt(b));
    const cursor = `${priority}:${b.key}`;
    if (yes) admitted.add(cursor);
    else if (admitted.has(cursor)) plan.waiting = true;
    return yes;
  };
  // With no free seat, all a pass can place is a critical job, by preemption.
  const priorities = free.size === 0 ? [critical] : undefined;
  const starvation = ctx.weights?.starvation ?? 0;
  const closedKeys = closedSerialKeys(ctx);
  const held = cascadeHold(tx.sql);
  // Jobs an open breaker refuses on every free factory that could run their bucket are skipped unread — but for
  // critical ones with preemption on: a busy factory whose breaker is closed may still give them a seat.
  const none = new Set<string>();
  // No open breaker (the usual case): nothing to ask per bucket, not even its holders.
  const heldEngines = (b: Bucket, priority: number) =>
    !ctx.openBreakers?.size || (preemption && priority === critical)
      ? none
      : breakerHeldEngines(free.holders(b.capabilities), ctx, b.capabilities);
  for (const id of dueJobIdsByUrgency(tx, starvation, MAX_SCAN, ctx.agingHorizonMs, {
    admit,
    priorities,
    closedKeys,
    heldEngines,
  })) {
    if (free.size === 0) {
      plan.waiting = true;
      if (!preemption) break;
    }
    let job: Job | undefined = loadJob(tx.sql, id);
    if (!job || (free.size === 0 && job.priority !== "critical")) continue;
    if (held?.(job)) continue; // a cancelled ancestor's cascade reaches it next (dag/cancel-subtree): no engine
    const routeCtx = { ...ctx, busySerialKeys: busy };
    const candidates = free.candidatesFor(job);
    const best = candidates.length > 0 ? rankFactories(job, candidates, routeCtx).ranked[0] : undefined;
    let factory = best ? candidates.find((f) => f.id === best.factoryId) : undefined;
    if (!factory && !(preemption && job.priority === "critical")) continue;
    // Too large for any frame to carry (dispatch/frame-bound), or nothing left of its own budget (reached while
    // queued: a late report of a lost lease): ended here, not run.
    if (!assignable(tx, job)) continue;
    const allowance = dispatchAllowance(tx, job);
    if (!allowance) continue;
    if (!factory) {
      // The victim's seat goes to this job: the factory's load is unchanged (one lease out, one in).
      const won = preemptFor(tx, job, liveFactories(), routeCtx);
      if (!won) continue;
      plan.evictions.push(won.eviction);
      if (!won.factory) continue; // the lapsed victim's expiry left its seat no use to this job (dispatch/preempt)
      job = won.job;
      factory = won.factory;
      factory.load -= 1;
    }
    // The job's governing TTL (manifest, else product), shortened only if this connection's hello asked for less.
    const { job: assigned, lease } = assignJob(tx, job, factory.id, connected.get(factory.id)?.att.leaseTtlSeconds);
    if (assigned.serialKey) busy.add(assigned.serialKey);
    const list = plan.assigns.get(factory.id) ?? [];
    list.push({
      job: assigned,
      leaseEpoch: lease.leaseEpoch,
      expiresAt: lease.expiresAt,
      ttlSeconds: lease.ttlSeconds,
      lessons: lessonsForAssignment(tx, assigned),
      // What is left of the job's budget after its earlier runs: the agent stops this run there.
      ...allowance,
    });
    plan.assigns.set(factory.id, list);
    factory.load += 1;
    free.took(factory);
  }
  return plan;
}
