/**
 * @module core/serial-holds
 * "Jobs sharing a serialKey run one at a time" (SPEC §6) across a lost lease. When a running job loses its lease —
 * taken by force (an operator's cancel, requeue or reject, a preemption, a budget stop, a revoked or deregistered
 * factory) or lapsed (its holder stopped renewing: a partition, a crash) — the job stops holding its key at once, but
 * its old factory may still be running the engine. Its writes are fenced; its work on the repo is not. So the key
 * stays held by that old run — a *stop hold* — until the earliest of:
 *   - the old factory says that run has stopped (the `stopped` frame, for exactly that job and lease epoch), or
 *   - `engineStopsBy` passes: the latest an agent that hears nothing more lets that engine run. An agent stops its
 *     engine once its lease is past its known expiry by max(TTL, 30 s) (agent/lease-renewer `lapseGraceMs`, the grace
 *     core/outage-grace gives a coordinator's own outage), then SIGTERM, SIGKILL 2 s later. Holding only to the old
 *     lease's expiry — or, on a lapse, not at all — handed the key to the next job while that engine still worked on
 *     the repo for up to that grace (60 s at the default TTL). The bound stays finite: no hold wedges a key for longer
 *     than one lease TTL plus that grace (and, if its factory's link went down with the coordinator, the outage grace
 *     once: core/outage-grace).
 * A socket close does not end it: the agent keeps its engines running across reconnects (agent/supervisor), so a
 * closed socket says nothing about the engine; nor does the factory being declared down, for the same reason.
 * A factory that is reachable says `stopped` as soon as its engine exits (a cancel obeyed, a lease it finds fenced or
 * lapsed, a predecessor's engine reaped), so the full bound is waited out only for a factory that cannot say it.
 * Pure: the coordinator stores the holds (dispatch/serial-holds) and passes `now`.
 */
import { isLeaseLive } from "./lease.ts";
import { OUTAGE_GRACE_MIN_SECONDS } from "./outage-grace.ts";
import { instantWords } from "./waiting-commands.ts";

/**
 * 5 s past the agent's own lapse: its SIGTERM-to-SIGKILL window (2 s, agent/engine-runner `CANCEL_GRACE_MS`), the
 * renewal answer's transit (the agent counts its lease from when the answer arrives, after the coordinator stamped
 * the expiry) and a late timer.
 */
export const ENGINE_STOP_SLACK_MS = 5_000;

/**
 * The latest instant (ms) an engine may still run under a lease the coordinator holds until `expiresAt`, granted for
 * `ttlSeconds`, when its factory hears nothing more: the agent's lapse grace past that expiry, max(TTL, 30 s)
 * (agent/lease-renewer `lapseGraceMs`), plus ENGINE_STOP_SLACK_MS. test/unit/serial-holds checks it never falls short
 * of the agent's rule.
 */
export function engineStopsBy(expiresAt: number, ttlSeconds: number): number {
  return expiresAt + Math.max(ttlSeconds, OUTAGE_GRACE_MIN_SECONDS) * 1000 + ENGINE_STOP_SLACK_MS;
}

/**
 * The stop bound of a lease after one grant or renewal of it at `expiresAt` (ms) for `ttlSeconds` (s, as granted):
 * the later of that grant's `engineStopsBy` and `previous` (ms; undefined for a new lease's first grant). Its agent
 * stops the engine by the last grant it HEARD — a renewal's answer may be lost — so the bound never comes back in:
 * after an operator lowers the TTL, a renewal granted at the new TTL still leaves the engine the old grant's grace.
 */
export function stopsByAfterGrant(previous: number | undefined, expiresAt: number, ttlSeconds: number): number {
  return Math.max(previous ?? Number.NEGATIVE_INFINITY, engineStopsBy(expiresAt, ttlSeconds));
}

/** The key held by a run that lost its lease (taken by force, or lapsed), while that run stops. */
export interface SerialHold {
  key: string;
  /** The job whose run is stopping (it may be queued again already, or cancelled, failed…). */
  jobId: string;
  /** The factory running it: only its `stopped` frame ends the hold early. */
  factoryId: string;
  /** The epoch of the lease taken (the one the old run works under, which its `stopped` frame names). */
  leaseEpoch: number;
  /** `engineStopsBy` the old lease's expiry, ms epoch: the hold ends then at the latest. */
  until: number;
}

/** What a job was just before the coordinator took its lease: the fields the rule reads. */
export interface LeaseTaken {
  id: string;
  serialKey?: string;
  holderFactoryId?: string;
  leaseEpoch: number;
  leaseExpiresAt?: number;
  /** `stopsByAfterGrant` over the lease's grants (ms): what its agent was told bounds the engine. */
  leaseStopsBy?: number;
}

/**
 * The hold a loss of `job`'s lease at `now` (ms) leaves — taken by force, or lapsed — or undefined when there is none
 * to keep: the job has no serial key, no holder, or its engine has stopped on its own by now (`engineStopsBy` the old
 * lease's expiry, for `ttlSeconds` — the lease's governing TTL now — and the lease's own `leaseStopsBy`, what its
 * grants told its agent, have passed). `until` is the later of those instants, never later. Not the governing TTL
 * alone: an operator may have lowered it since the grant, and the agent still runs on by the TTL it was granted.
 */
export function holdAfterLeaseLoss(job: LeaseTaken, now: number, ttlSeconds: number): SerialHold | undefined {
  const { serialKey, holderFactoryId, leaseExpiresAt } = job;
  if (serialKey === undefined || !holderFactoryId || leaseExpiresAt === undefined) return undefined;
  const until = Math.max(engineStopsBy(leaseExpiresAt, ttlSeconds), job.leaseStopsBy ?? Number.NEGATIVE_INFINITY);
  if (!isLeaseLive(until, now)) return undefined;
  return { key: serialKey, jobId: job.id, factoryId: holderFactoryId, leaseEpoch: job.leaseEpoch, until };
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
    `(its lease ended; free once that factory says it stopped, at the latest ${instantWords(hold.until)})`
  );
}
