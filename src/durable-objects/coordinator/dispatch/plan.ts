/**
 * @module durable-objects/coordinator/dispatch/plan
 * PUSH DISPATCH — contract:
 *   inputs: the factories with a live, greeted WebSocket; `now`.
 *   guard:  as for a claim (router filter: capabilities, status, health, free
 *           seat, serial gate, budget, and the per-holder exclusion: a job is
 *           not re-offered to a factory that let its lease expire, released
 *           or rejected it until that exclusion's backoff ends).
 *   output: the most urgent due jobs assigned (lease + epoch + attempt) to
 *           their best-scoring connected factory, grouped per factory so one
 *           `assign` frame carries every job for that factory's free seats.
 * Runs on submit, when a seat frees, on requeue, on unblock and on connect —
 * whenever the queue version moved — so there is no polling loop anywhere.
 * PREEMPTION: a `critical` job no free seat fits may take a running job's seat
 * (coordinator/dispatch/preempt, core/preemption) in this same unit; the plan then lists
 * that eviction, and the caller pushes its `cancel` before the `assign`.
 */
import type { Factory, Job } from "../../../core/model.ts";
import { PRIORITY_VALUE, rankFactories } from "../../../core/router.ts";
import type { Assignment } from "../../../shared/protocol.ts";
import { loadJob } from "../jobs/rows.ts";
import { lessonsForAssignment } from "../policies/lesson-rows.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { assignJob, dueJobIdsByUrgency, routeContext } from "./claim.ts";
import { FreeSeats } from "./free-seats.ts";
import { type Eviction, preemptFor } from "./preempt.ts";
import { MAX_SCAN as SCAN_LIMIT } from "./urgency-order.ts";

/**
 * Jobs examined per dispatch pass when none of them fit a free seat. Bounds the
 * cost of a pass over a deep queue of jobs no connected factory can run; a job
 * further back is reached on the next pass (every stage change triggers one).
 */
const MAX_SCAN = 1000;

/** One pass's decisions: the victims to stop (sent first), then the assignments per factory. */
export interface DispatchPlan {
  evictions: Eviction[];
  assigns: Map<string, Assignment[]>;
}

/** Critical, due jobs oldest first (their class's urgency order): all a pass with no free seat can place. */
function* criticalDueIds(tx: Tx): Generator<string> {
  const rows = tx.sql
    .exec<{ id: string }>(
      `SELECT id FROM jobs WHERE stage = 'queued' AND priority_value = ?1 AND (not_before IS NULL OR not_before <= ?2)
        ORDER BY queued_at, id LIMIT ?3`,
      PRIORITY_VALUE.critical,
      tx.now,
      MAX_SCAN,
    )
    .toArray();
  for (const r of rows) yield r.id;
}

/** `connected`: the factories with a live, greeted WebSocket, by id, with the TTL (s) each one's hello asked for. */
export function planAndAssign(
  tx: Tx,
  connected: ReadonlyMap<string, { att: { leaseTtlSeconds?: number } }>,
): DispatchPlan {
  const plan: DispatchPlan = { evictions: [], assigns: new Map() };
  // Free seats from cached factory documents, indexed by capability (dispatch/free-seats): no row read per idle factory.
  const free = new FreeSeats(tx.sql, connected, tx.now);
  // With preemption on, a critical job may still be placed when every seat is taken (core/preemption).
  const preemption = getSettings(tx.sql).preemption;
  if (free.size === 0 && !preemption) return plan;
  let live: Factory[] | undefined;
  const ctx = routeContext(tx);
  const busy = new Set(ctx.busySerialKeys);
  let scanned = 0;
  const ids =
    free.size === 0
      ? criticalDueIds(tx)
      : dueJobIdsByUrgency(tx, ctx.weights?.starvation ?? 0, SCAN_LIMIT, ctx.agingHorizonMs);
  for (const id of ids) {
    if ((free.size === 0 && !preemption) || scanned++ >= MAX_SCAN) break;
    let job: Job | undefined = loadJob(tx.sql, id);
    if (!job || (free.size === 0 && job.priority !== "critical")) continue;
    const routeCtx = { ...ctx, busySerialKeys: busy };
    const candidates = free.candidatesFor(job);
    const best = candidates.length > 0 ? rankFactories(job, candidates, routeCtx).ranked[0] : undefined;
    let factory = best ? candidates.find((f) => f.id === best.factoryId) : undefined;
    if (!factory) {
      // The victim's seat goes to this job: the factory's load is unchanged (one lease out, one in).
      live ??= preemption && job.priority === "critical" ? free.live() : undefined;
      const won = live ? preemptFor(tx, job, live, routeCtx) : undefined;
      if (!won) continue;
      plan.evictions.push(won.eviction);
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
    });
    plan.assigns.set(factory.id, list);
    factory.load += 1;
    free.took(factory);
  }
  return plan;
}
