/**
 * @module agent/unrun-leases
 * Leases of this factory that no seat here runs, and the `stopped` frame the coordinator needs for them. After taking
 * a lease by force (cancel, requeue, reject, preemption, budget stop) it keeps the job's serial key held until the
 * old factory says that run has stopped, or until the old lease expires (core/serial-holds): up to an hour. A seat
 * says so itself when it ends (agent/seat-endings `cleanup`); this says it for the runs that have no seat:
 *   - a `cancel` for a lease no seat here runs: one the agent answered with `release` (draining, no free seat) after
 *     the operator's cancel had landed, one agent/assignment-guard refused, one pushed while an older run of the job
 *     was still stopping. Said at once, and the lease is remembered so that no later start of it (a take deferred
 *     until that older run ended, or until a seat freed) runs it after all: the hold must not end beside an engine;
 *   - a `release` refused as no longer this factory's lease (`fenced`, `not_lease_holder`): taken before it landed;
 *   - a run whose engine an earlier agent process left, once agent/orphans knows that engine is dead.
 * Only to a coordinator that announced FEATURES.stopped (an older one refuses the frame). Best effort, as a seat's:
 * a frame lost to a dropped connection costs only the wait for the old lease's expiry.
 */
import { FEATURES } from "../shared/protocol.ts";
import { type FactoryConnection, FrameError, LEASE_LOST_CODES } from "./connection.ts";
import type { Output } from "./output.ts";

/** How many jobs' cancelled epochs are remembered (oldest forgotten first): a deferred take lands within seconds. */
const REMEMBERED = 256;

export interface LeaseRef {
  jobId: string;
  leaseEpoch: number;
}

export class UnrunLeases {
  private readonly conn: FactoryConnection;
  private readonly features: () => ReadonlySet<string>;
  private readonly out: Pick<Output, "say">;
  /** jobId → the newest epoch cancelled while no seat here ran it: that lease, or an older one, is never started. */
  private readonly cancelledUpTo = new Map<string, number>();

  /** `features`: the optional protocol features the last `welcome` announced. */
  constructor(conn: FactoryConnection, features: () => ReadonlySet<string>, out: Pick<Output, "say">) {
    this.conn = conn;
    this.features = features;
    this.out = out;
  }

  /** A `cancel` for `lease`, which no seat here runs: nothing runs for it, and from now on nothing will. */
  cancelled(lease: LeaseRef): void {
    const upTo = Math.max(this.cancelledUpTo.get(lease.jobId) ?? -1, lease.leaseEpoch);
    this.cancelledUpTo.delete(lease.jobId); // re-inserted: the Map's order is the order forgotten in
    this.cancelledUpTo.set(lease.jobId, upTo);
    const oldest = this.cancelledUpTo.keys().next().value;
    if (this.cancelledUpTo.size > REMEMBERED && oldest !== undefined) this.cancelledUpTo.delete(oldest);
    this.stopped(lease);
  }

  /** Whether `lease` was cancelled before a seat took it: then it must not be started, and the operator is told. */
  skipCancelled(lease: LeaseRef): boolean {
    if (lease.leaseEpoch > (this.cancelledUpTo.get(lease.jobId) ?? -1)) return false;
    const text = `${lease.jobId} not started: its lease ${lease.leaseEpoch} was cancelled before a seat took it`;
    this.out.say("·", "job.not_started", text, { ...lease });
    return true;
  }

  /**
   * Refuse `lease` (no seat here took it) with `release`, for `reason` (≤ 500 bytes). An answer that the lease is no
   * longer this factory's means it was taken first, perhaps with its key held: nothing runs for it here, say so.
   */
  release(lease: LeaseRef, reason: string): void {
    void this.conn.request({ type: "release", ...lease, reason }).catch((err: unknown) => {
      if (err instanceof FrameError && LEASE_LOST_CODES.has(err.code)) this.stopped(lease);
    });
  }

  /** Nothing runs, or will run, for `lease` on this host: `stopped`, if the coordinator takes it. Never throws. */
  stopped(lease: LeaseRef): void {
    if (!this.features().has(FEATURES.stopped)) return;
    const { jobId, leaseEpoch } = lease;
    void this.conn.request({ type: "stopped", jobId, leaseEpoch }).catch(() => undefined);
  }
}
