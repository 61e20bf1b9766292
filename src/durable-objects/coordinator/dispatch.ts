/**
 * @module durable-objects/coordinator/dispatch
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
 */
import type { Factory, Job } from "../../core/model.ts";
import { rankFactories } from "../../core/router.ts";
import type { Assignment } from "../../shared/protocol.ts";
import { assignJob, dueJobIdsByUrgency, routeContext } from "./claim.ts";
import { listFactories } from "./factories.ts";
import { loadJob } from "./job-rows.ts";
import type { Tx } from "./tx.ts";
import { MAX_SCAN as SCAN_LIMIT } from "./urgency-order.ts";

/**
 * Jobs examined per dispatch pass when none of them fit a free seat. Bounds the
 * cost of a pass over a deep queue of jobs no connected factory can run; a job
 * further back is reached on the next pass (every stage change triggers one).
 */
const MAX_SCAN = 1000;

export function planAndAssign(
  tx: Tx,
  connected: ReadonlyMap<string, { leaseTtlSeconds?: number }>,
): Map<string, Assignment[]> {
  const out = new Map<string, Assignment[]>();
  const free: Factory[] = [];
  for (const f of listFactories(tx.sql, tx.now)) {
    // A connected factory is alive whatever its last heartbeat says.
    if (connected.has(f.id) && f.status === "active" && f.load < f.seats) {
      free.push({ ...f, health: f.health === "down" ? "ok" : f.health });
    }
  }
  if (free.length === 0) return out;
  const ctx = routeContext(tx);
  const busy = new Set(ctx.busySerialKeys);
  let scanned = 0;
  for (const id of dueJobIdsByUrgency(tx, ctx.weights?.starvation ?? 0, SCAN_LIMIT, ctx.agingHorizonMs)) {
    if (free.length === 0 || scanned++ >= MAX_SCAN) break;
    const job: Job | undefined = loadJob(tx.sql, id);
    if (!job) continue;
    const best = rankFactories(job, free, { ...ctx, busySerialKeys: busy }).ranked[0];
    if (!best) continue;
    const factory = free.find((f) => f.id === best.factoryId)!;
    // The job's governing TTL (manifest, else product), shortened only if this connection's hello asked for less.
    const { job: assigned, lease } = assignJob(tx, job, factory.id, connected.get(factory.id)?.leaseTtlSeconds);
    if (assigned.serialKey) busy.add(assigned.serialKey);
    const list = out.get(factory.id) ?? [];
    list.push({
      job: assigned,
      leaseEpoch: lease.leaseEpoch,
      expiresAt: lease.expiresAt,
      ttlSeconds: lease.ttlSeconds,
    });
    out.set(factory.id, list);
    factory.load += 1;
    if (factory.load >= factory.seats) free.splice(free.indexOf(factory), 1);
  }
  return out;
}
