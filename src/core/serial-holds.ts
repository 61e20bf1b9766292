/**
 * @module core/serial-holds
 * "Jobs sharing a serialKey run one at a time" (SPEC §6) across a forced lease loss. When the coordinator takes a
 * running job's lease by force (an operator's cancel, requeue or reject, a preemption, a budget stop, a revoked or
 * deregistered factory), the job stops holding its key at once, but its old factory may still be running the engine
 * while it stops (a `cancel` gives it 2 s, then SIGKILL; a factory that missed the cancel stops when its lease is
 * refused). Its writes are fenced; its work on the repo is not. So the key stays held by that old run — a *stop hold*
 * — until the earliest of:
 *   - the old factory says that run has stopped (the `stopped` frame, for exactly that job and lease epoch), or
 *   - that old lease's expiry (ms epoch) passes: the bound, so no hold can wedge a key for longer than one lease TTL
 *     (and, if its factory's link went down with the coordinator, the outage grace once: core/outage-grace).
 * A socket close does not end it: the agent keeps its engines running across reconnects (agent/supervisor), so a
 * closed socket says nothing about the engine; nor does the factory being declared down, for the same reason.
 * Pure: the coordinator stores the holds (dispatch/serial-holds) and passes `now`.
 */
import { isLeaseLive } from "./lease.ts";

/** The key held by a run whose lease was taken by force, while that run stops. */
export interface SerialHold {
  key: string;
  /** The job whose run is stopping (it may be queued again already, or cancelled, failed…). */
  jobId: string;
  /** The factory running it: only its `stopped` frame ends the hold early. */
  factoryId: string;
  /** The epoch of the lease taken (the one the old run works under, which its `stopped` frame names). */
  leaseEpoch: number;
  /** The old lease's expiry, ms epoch: the hold ends then at the latest. */
  until: number;
}

/** What a job was just before the coordinator took its lease: the fields the rule reads. */
export interface LeaseTaken {
  id: string;
  serialKey?: string;
  holderFactoryId?: string;
  leaseEpoch: number;
  leaseExpiresAt?: number;
}

/**
 * The hold a forced loss of `job`'s lease at `now` (ms) leaves, or undefined when there is none to keep: the job has
 * no serial key, no holder, or its lease had already run out (its factory stops on its own by then).
 * `until` is the old lease's expiry, never later.
 */
export function holdAfterForcedLoss(job: LeaseTaken, now: number): SerialHold | undefined {
  const { serialKey, holderFactoryId, leaseExpiresAt } = job;
  if (serialKey === undefined || !holderFactoryId || leaseExpiresAt === undefined) return undefined;
  if (!isLeaseLive(leaseExpiresAt, now)) return undefined;
  return {
    key: serialKey,
    jobId: job.id,
    factoryId: holderFactoryId,
    leaseEpoch: job.leaseEpoch,
    until: leaseExpiresAt,
  };
}

/** Whether `hold` still holds its key at `now` (ms): until its `until`, exclusive, like a lease. */
export function holdLive(hold: Pick<SerialHold, "until">, now: number): boolean {
  return isLeaseLive(hold.until, now);
}

/** Whether a `stopped` frame from `factoryId` for (`jobId`, `leaseEpoch`) ends `hold`: the same run, exactly. */
export function stopEndsHold(
  hold: Pick<SerialHold, "jobId" | "factoryId" | "leaseEpoch">,
  stopped: { factoryId: string; jobId: string; leaseEpoch: number },
): boolean {
  return hold.jobId === stopped.jobId && hold.factoryId === stopped.factoryId && hold.leaseEpoch === stopped.leaseEpoch;
}

/** Key → the live hold on it that lasts longest (a key is normally held by one stopping run at most). */
export function liveHoldsByKey(holds: readonly SerialHold[], now: number): Map<string, SerialHold> {
  const byKey = new Map<string, SerialHold>();
  for (const h of holds) {
    if (!holdLive(h, now)) continue;
    const other = byKey.get(h.key);
    if (!other || other.until < h.until) byKey.set(h.key, h);
  }
  return byKey;
}

/**
 * The words for a job waiting on `hold`: which job's run is stopping, on which factory, and the latest it ends.
 * `waitingJobId`: the job asking (a preempted or requeued job waits for its own previous run).
 */
export function holdMessage(hold: SerialHold, waitingJobId: string): string {
  const whose = hold.jobId === waitingJobId ? "this job's previous run" : `job ${hold.jobId}`;
  return (
    `serial key ${hold.key} is held while ${whose} stops on factory ${hold.factoryId} ` +
    `(its lease was taken; free once that factory says it stopped, at the latest ${new Date(hold.until).toISOString()})`
  );
}
