/**
 * @module durable-objects/coordinator/dispatch/forced-loss
 * A lease taken from its holder by force — a revoked or deregistered factory's (`requeueHeldBy`), a preemption's
 * victim (dispatch/preempt), a budget stop's (policies/budget-stop), an operator's requeue (jobs/actions).
 *
 * LAPSED FIRST — a lease whose expiry has passed is the reaper's even when the alarm has not run yet: whatever
 * takes it next, it ends as an expiry (core/lease `takenLeaseEnding`), its attempt counted and the job dead-lettered
 * if that was its last, as had the reaper run first. Handed back (dispatch/lease-ops `giveBack`), its attempt was
 * refunded: a job whose every lease lapsed was run on and on as long as something else kept taking them.
 *
 * THE HOLDER HEARS IT — a `cancel` per job (factories/notices), pushed after the commit: an agent still connected
 * stops that engine now rather than spend on until its next report is fenced.
 */
import { takenLeaseEnding } from "../../../core/lease.ts";
import type { Job } from "../../../core/model.ts";
import type { CancelCode } from "../../../shared/protocol-lease-notices.ts";
import { noteStop } from "../factories/notices.ts";
import { noteLeaseExpiry } from "../factories/registry.ts";
import { requireJob } from "../jobs/rows.ts";
import { recordLeaseExpiries } from "../policies/metrics.ts";
import type { Tx } from "../runtime/tx.ts";
import { expireLease, giveBack, isLeased } from "./lease-ops.ts";
import { holdSerialKey } from "./serial-holds.ts";

/**
 * `job`'s lease, about to be taken by force at `tx.now`, expired instead if it has lapsed (see LAPSED FIRST), the
 * holder sent a `cancel` after the commit unless `tell` is false (a preemption sends its own, before the `assign`).
 * `expiries`: the caller's count per holder, written once (dispatch/lease-ops `expireLease`).
 * @returns the job as its expiry saved it (the caller has no lease left to take), or undefined: the lease is live
 */
export function expireIfLapsed(tx: Tx, job: Job, tell = true, expiries?: Map<string, number>): Job | undefined {
  if (!isLeased(job) || takenLeaseEnding(job, tx.now).ending === "hand_back") return undefined;
  const expired = expireLease(tx, job, tell, expiries);
  recordLeaseExpiries(tx, 1);
  return expired;
}

/**
 * Take every live lease away from a factory (revoked, deregistered): requeue its jobs now, each holder sent a
 * `cancel` (before the revoke closes its sockets: rpc/fleet `retiring`). Their serial keys stay held until its agent
 * would have stopped their engines on its own (core/serial-holds `engineStopsBy`): the factory cannot say they
 * stopped any more.
 * @returns how many went back to the queue (one with nothing left of its own budget ends `failed` instead: `giveBack`;
 *   one whose lapsed lease was its last attempt is dead-lettered: `expireIfLapsed`)
 */
export function requeueHeldBy(tx: Tx, factoryId: string, why: string, code: CancelCode): number {
  const ids = tx.sql
    .exec<{ id: string }>(
      "SELECT id FROM jobs WHERE holder_factory_id = ? AND stage IN ('assigned', 'building')",
      factoryId,
    )
    .toArray();
  let requeued = 0;
  const expiries = new Map<string, number>(); // its lapsed leases: on its record in one write, not one per job
  for (const { id } of ids) {
    if (takeFrom(tx, requireJob(tx.sql, id), why, code, expiries).stage === "queued") requeued += 1;
  }
  for (const [holder, count] of expiries) noteLeaseExpiry(tx, holder, count);
  return requeued;
}

/** One job of `requeueHeldBy`: expired if lapsed, else handed back with its key held and its holder told. */
function takeFrom(tx: Tx, job: Job, why: string, code: CancelCode, expiries: Map<string, number>): Job {
  const expired = expireIfLapsed(tx, job, true, expiries);
  if (expired) return expired;
  noteStop(tx, job, why, code);
  holdSerialKey(tx, job);
  return giveBack(tx, job, why);
}
