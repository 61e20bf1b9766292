/**
 * @module durable-objects/coordinator/dispatch/forced-loss
 * A lease taken from its holder by force: a revoked or deregistered factory's (`requeueHeldBy`).
 *
 * THE HOLDER HEARS IT — a `cancel` per job (factories/notices), pushed after the commit: an agent still connected
 * stops that engine now rather than spend on until its next report is fenced.
 */
import type { Job } from "../../../core/model.ts";
import { noteStop } from "../factories/notices.ts";
import { requireJob } from "../jobs/rows.ts";
import type { Tx } from "../runtime/tx.ts";
import { giveBack } from "./lease-ops.ts";
import { holdSerialKey } from "./serial-holds.ts";

/**
 * Take every live lease away from a factory (revoked, deregistered): requeue its jobs now, each holder sent a
 * `cancel` (before the revoke closes its sockets: rpc/fleet `retiring`). Their serial keys stay held until its agent
 * would have stopped their engines on its own (core/serial-holds `engineStopsBy`): the factory cannot say they
 * stopped any more.
 * @returns how many went back to the queue (one with nothing left of its own budget ends `failed` instead: `giveBack`)
 */
export function requeueHeldBy(tx: Tx, factoryId: string, why: string): number {
  const ids = tx.sql
    .exec<{ id: string }>(
      "SELECT id FROM jobs WHERE holder_factory_id = ? AND stage IN ('assigned', 'building')",
      factoryId,
    )
    .toArray();
  let requeued = 0;
  for (const { id } of ids) {
    if (takeFrom(tx, requireJob(tx.sql, id), why).stage === "queued") requeued += 1;
  }
  return requeued;
}

/** One job of `requeueHeldBy`: handed back with its key held and its holder told. */
function takeFrom(tx: Tx, job: Job, why: string): Job {
  noteStop(tx, job, why);
  holdSerialKey(tx, job);
  return giveBack(tx, job, why);
}
