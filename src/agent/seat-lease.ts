/**
 * @module agent/seat-lease
 * A seat's side of its lease: the fenced frames it sends and the renewals that keep it alive at TTL/2. The frames are
 * progress (logs, checkpoints), accept, the move to `building`, release/reject (and `stopped`, after an abandon). An
 * answer that says the lease is gone (connection LEASE_LOST_CODES: `fenced`, `not_lease_holder`) ends the job the
 * same way whichever frame got it, through the seat's `lost` hook; so does a frame that must land and cannot. Other
 * misses are only noted in the job log: log batches are best effort (the whole log is uploaded at the end), a checkpoint is announced again at the next
 * interval, a renewal goes at the next tick. The report has its own delivery (agent/report `reportAndRecord`), because
 * it writes the job record on either side of it.
 */

import { FEATURES } from "../shared/protocol.ts";
import { type FactoryConnection, FrameError, LEASE_LOST_CODES, type OutFrame } from "./connection.ts";
import { LeaseRenewer, renewPlan } from "./lease-renewer.ts";
import { deliverFrame } from "./report.ts";

export interface SeatLeaseOptions {
  conn: FactoryConnection;
  jobId: string;
  leaseEpoch: number;
  /** `--lease-ttl` (s) to ask for on every renewal; undefined = whatever the coordinator grants. */
  wantedTtl: number | undefined;
  /** The lease is gone (a fenced answer, or a frame that must land did not): abandon the job for `reason`. */
  lost: (reason: string) => void;
  /** True once the job is abandoned: a reliable delivery stops retrying. */
  gaveUp: () => boolean;
  /** A line for the job log. */
  note: (text: string) => void;
}

export class SeatLease {
  private readonly renewer = new LeaseRenewer();
  private readonly opts: SeatLeaseOptions;

  constructor(opts: SeatLeaseOptions) {
    this.opts = opts;
  }

  /** A fenced request: a lease-lost answer abandons the job; other failures are logged (and retried by design). */
  async send(frame: OutFrame): Promise<boolean> {
    try {
      await this.opts.conn.request(frame);
      return true;
    } catch (err) {
      this.failed(frame, err);
      return false;
    }
  }

  /** Frames that must land (accept, the move to building): retried across reconnects; false = the job is gone. */
  async sendReliably(frame: OutFrame): Promise<boolean> {
    const d = await deliverFrame(this.opts.conn, frame, this.opts.gaveUp);
    if (!d.ok) this.opts.lost(d.message);
    return d.ok;
  }

  /**
   * Renew every half of the TTL from now on, first at once if the plan says so (agent/lease-renewer `renewPlan`).
   * `grantedTtl` is the assignment's `ttlSeconds` (s); `resumed`: the lease came from `welcome.leases`, so that is
   * only what was left of it and `connectionTtl` (s, the TTL that applies on this connection; undefined before
   * welcome) stands in for it.
   */
  startRenewals(grantedTtl: number, resumed: boolean, connectionTtl: number | undefined): void {
    const { jobId, leaseEpoch, wantedTtl: ttl } = this.opts;
    const frame: OutFrame = { type: "renew", jobId, leaseEpoch, ...(ttl ? { ttlSeconds: ttl } : {}) };
    const plan = renewPlan(ttl, grantedTtl, resumed, connectionTtl);
    this.renewer.start(plan, () => void this.renewOnce(frame));
  }

  /** Whether renewals are running (started and not stopped since). */
  get renewing(): boolean {
    return this.renewer.running;
  }

  /** Renew at once, keeping the cadence (the product's lease TTL changed: the answer moves this lease to it). */
  renewNow(): void {
    this.renewer.renewNow();
  }

  stopRenewals(): void {
    this.renewer.stop();
  }

  /**
   * This run was abandoned (cancelled, lease lost) and its engine has exited or never started: a `stopped` frame
   * says so, to a coordinator that announced FEATURES.stopped. After taking a lease it keeps the job's serial key held
   * until then (core/serial-holds), so the key's next job starts only once this engine is gone. Best effort: a frame
   * lost to a dropped connection costs only the wait until the old lease would have expired.
   */
  reportStopped(features: ReadonlySet<string> | undefined): void {
    if (!features?.has(FEATURES.stopped)) return;
    const { jobId, leaseEpoch } = this.opts;
    void this.opts.conn.request({ type: "stopped", jobId, leaseEpoch }).catch(() => undefined);
  }

  /** One renewal; its answer names the TTL granted, and the renewer keeps to half of it (agent/lease-renewer). */
  private async renewOnce(frame: OutFrame): Promise<void> {
    try {
      const granted = (await this.opts.conn.request(frame)) as { ttlSeconds?: unknown } | undefined;
      if (typeof granted?.ttlSeconds === "number" && granted.ttlSeconds > 0) this.renewer.adopt(granted.ttlSeconds);
    } catch (err) {
      this.failed(frame, err);
    }
  }

  /** A fenced frame got no acknowledgement: the lease is gone when the coordinator says so, else the miss is logged. */
  private failed(frame: OutFrame, err: unknown): void {
    if (err instanceof FrameError && LEASE_LOST_CODES.has(err.code)) this.opts.lost(err.message);
    else this.opts.note(`${frame.type} not delivered: ${(err as Error).message}`);
  }
}
