/**
 * @module durable-objects/coordinator/dispatch/serial-holds
 * The `serial_holds` table: serial keys kept held by a run that lost its lease, while its old factory stops the
 * engine (the rule, its bound and why a socket close does not end it: core/serial-holds).
 *
 * WRITTEN by every loss of a lease whose engine may still run, in the unit that ends it (`holdSerialKey`, with the
 * job as it was): an operator's cancel, requeue or reject (jobs/actions `dropLease`), a preemption (dispatch/preempt),
 * a budget stop (policies/budget-stop), a run over its own budget (policies/run-spend), a revoked or deregistered
 * factory (dispatch/lease-ops `requeueHeldBy`), and a lapse (dispatch/lease-ops `expireLease`: a partitioned agent
 * runs its engine on for its lapse grace past the expiry). Not by the losses where the agent stopped or never started
 * the engine: `release`/`reject`, an `assign` that was never sent.
 * ENDED by the old factory's `stopped` frame for that job and epoch (`endSerialHold`), or by time: a hold past its
 * `until` is ignored on read and deleted by the next `expireDue`. The alarm wakes at the next `until`
 * (NEXT_HOLD_END_SQL), and its dispatch pass hands the key on. EXTENDED only by dispatch/outage-grace, at an instance's
 * start, when the old factory's link went down with the coordinator (its engine may still be stopping).
 * READ with the running holders as the closed keys of every routing decision (dispatch/claim `busySerialKeys`), by
 * the waiting reason (jobs/waiting) and by the gate view (policies/serial-gates).
 */
import type { Manifest } from "../../../core/model.ts";
import { holdAfterLeaseLoss, type LeaseTaken, type SerialHold } from "../../../core/serial-holds.ts";
import { leaseTtlFor } from "../../../core/settings.ts";
import { execute } from "../../sql-statements.ts";
import { bumpQueueVersion, getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";

interface HoldRow extends Record<string, SqlStorageValue> {
  job_id: string;
  lease_epoch: number;
  serial_key: string;
  factory_id: string;
  until: number;
}

const toHold = (r: HoldRow): SerialHold => ({
  key: r.serial_key,
  jobId: r.job_id,
  factoryId: r.factory_id,
  leaseEpoch: r.lease_epoch,
  until: r.until,
});

/**
 * `job`'s lease ends at `tx.now`, taken or lapsed (`job` as it was before: holder, epoch, expiry): keep its serial key
 * held while the old run stops, if core/serial-holds says there is a hold to keep. Returns it. The TTL the bound reads
 * is the job's governing one (the manifest's, else the product's): a lease is never granted longer.
 */
export function holdSerialKey(
  tx: Tx,
  job: LeaseTaken & { manifest: Pick<Manifest, "leaseTtlSeconds"> },
): SerialHold | undefined {
  if (job.serialKey === undefined) return undefined; // the usual case: no settings read
  const hold = holdAfterLeaseLoss(job, tx.now, leaseTtlFor(job.manifest, getSettings(tx.sql)));
  if (!hold) return undefined;
  execute(
    tx.sql,
    `INSERT INTO serial_holds(job_id, lease_epoch, serial_key, factory_id, until) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(job_id, lease_epoch) DO UPDATE SET until = excluded.until`,
    hold.jobId,
    hold.leaseEpoch,
    hold.key,
    hold.factoryId,
    hold.until,
  );
  return hold;
}

/**
 * `factoryId` says its run of `jobId` under `leaseEpoch` has stopped: the hold that run kept, if any, ends now and a
 * dispatch pass may hand the key on. Fenced on the exact run: another factory's frame, or one naming another epoch,
 * ends nothing. Idempotent. Returns whether a hold ended.
 */
export function endSerialHold(tx: Tx, factoryId: string, jobId: string, leaseEpoch: number): boolean {
  const ended = execute(
    tx.sql,
    "DELETE FROM serial_holds WHERE job_id = ? AND lease_epoch = ? AND factory_id = ? AND until > ?",
    jobId,
    leaseEpoch,
    factoryId,
    tx.now,
  );
  if (ended === 0) return false;
  bumpQueueVersion(tx.sql); // the key may be open now: its most urgent waiting job goes at once
  return true;
}

/** The holds still in force at `now` (ms), soonest over first. Almost always none: the table is read on every pass. */
export function liveSerialHolds(sql: SqlStorage, now: number): SerialHold[] {
  return sql
    .exec<HoldRow>("SELECT * FROM serial_holds INDEXED BY serial_holds_by_until WHERE until > ? ORDER BY until", now)
    .toArray()
    .map(toHold);
}

/** Delete the holds over by `tx.now` (their lease expiry passed). Idempotent; the `until` index bounds the scan. */
export function forgetSerialHolds(tx: Tx): number {
  return execute(tx.sql, "DELETE FROM serial_holds WHERE until <= ?", tx.now);
}

/** The next instant a hold ends by time, for the alarm (one column of runtime/alarm's NEXT_DUE_SQL). */
export const NEXT_HOLD_END_SQL = `SELECT until AS t FROM serial_holds INDEXED BY serial_holds_by_until
  WHERE until > ? ORDER BY until LIMIT 1`;
