/**
 * @module agent/seat-lease
 * A seat's side of its lease: the fenced frames it sends and the renewals that keep it alive at TTL/2. The frames are
 * progress (logs, checkpoints), accept, the move to `building`, release/reject (and, after an abandon, the spend no
 * answered frame carried, then `stopped`). An answer that says the lease is gone (connection LEASE_LOST_CODES:
 * `fenced`, `not_lease_holder`) ends the job the same way whichever frame got it, through the seat's `lost` hook; so
 * does a frame that must land and cannot. Other misses are only noted in the job log: log batches are best effort (the
 * whole log is uploaded at the end; their spend, when the run is abandoned, goes in one last frame), a checkpoint is
 * announced again at the next interval, a renewal goes at the next tick. The report has its own delivery (agent/report `reportAndRecord`), because
 * it writes the job record on either side of it.
 *
 * Misses that go on have a limit: while renewals run, a lease no answer has kept alive for its TTL plus a grace
 * (agent/lease-renewer `lapseGraceMs`) is past its expiry on any coordinator, so the seat's `lapsed` hook is called —
 * a socket gone (or a coordinator refusing renewals with another code) no longer lets an engine run, and spend, on a
 * job the coordinator requeued long ago. The lease is known held until: its grant, each renewal's answer (its
 * `ttlSeconds`: 0 = ended now), a reconnect's `welcome` listing it (`confirmed`).
 */

import { afterPoll } from "../shared/after-poll.ts";
import { FEATURES } from "../shared/protocol.ts";
import { type FactoryConnection, FrameError, LEASE_LOST_CODES, type OutFrame } from "./connection.ts";
import { type SpendMark, spendMark, type Usage, unchargedSpend } from "./insights.ts";
import { LeaseRenewer, lapseGraceMs, renewPlan } from "./lease-renewer.ts";
import { deliverFrame } from "./report.ts";

/**
 * 2^31 − 1 ms (24.8 days), the longest timeout Node keeps: a longer one fires after 1 ms instead (with a warning), so
 * a lease granted for longer (a `ttlSeconds` of 1e10 from a buggy coordinator) lapsed, and stopped its engine, at once.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SeatLeaseOptions {
  conn: FactoryConnection;
  jobId: string;
  leaseEpoch: number;
  /** `--lease-ttl` (s) to ask for on every renewal; undefined = whatever the coordinator grants. */
  wantedTtl: number | undefined;
  /** The assignment's `ttlSeconds`: how long the lease is held from now (s; for a resumed lease, what is left). */
  grantedTtl: number;
  /** The lease is gone (a fenced answer, or a frame that must land did not): abandon the job for `reason`. */
  lost: (reason: string) => void;
  /** No answer kept the lease alive for its TTL plus the grace: it has expired on the coordinator. */
  lapsed: (reason: string) => void;
  /** The grace (ms) after the lease's known expiry before `lapsed`, for a TTL (s); default `lapseGraceMs`. */
  graceMs?: (ttlSeconds: number) => number;
  /** True once the job is abandoned: a reliable delivery stops retrying. */
  gaveUp: () => boolean;
  /** A line for the job log. */
  note: (text: string) => void;
}

export class SeatLease {
  private readonly renewer = new LeaseRenewer();
  private readonly opts: SeatLeaseOptions;
  /** When (ms, this host's clock) an answer last said the lease is held, until when, and the TTL (s) it named. */
  private heldAt = Date.now();
  private heldUntil: number;
  private ttlSeconds: number;
  private lapseTimer: ReturnType<typeof setTimeout> | undefined;
  /** The most spend a frame of this lease carried that the coordinator answered: acknowledged or fenced, charged. */
  private charged: SpendMark = { micros: 0, tokens: 0 };

  constructor(opts: SeatLeaseOptions) {
    this.opts = opts;
    this.ttlSeconds = opts.grantedTtl;
    this.heldUntil = this.heldAt + opts.grantedTtl * 1000;
  }

  /** A fenced request: a lease-lost answer abandons the job; other failures are logged (and retried by design). */
  async send(frame: OutFrame): Promise<boolean> {
    return (await this.deliver(frame)) === undefined;
  }

  /** `send`, saying why not: undefined once the coordinator acknowledged `frame`, else the failure's message. */
  async deliver(frame: OutFrame): Promise<string | undefined> {
    try {
      await this.opts.conn.request(frame);
      this.answered(frame);
      return undefined;
    } catch (err) {
      if (err instanceof FrameError && err.code === "fenced") this.answered(frame);
      this.failed(frame, err);
      return (err as Error).message ?? String(err);
    }
  }

  /**
   * The coordinator has charged the spend `frame` carries (its answer was an ack, or `fenced`: policies/late-spend).
   * `insights` of a report delivered outside this lease (agent/report `reportAndRecord`) too.
   */
  answered(frame: OutFrame | { insights?: Usage }): void {
    if ("insights" in frame) this.charged = spendMark(this.charged, frame.insights);
  }

  /** Frames that must land (accept, the move to building): retried across reconnects; false = the job is gone. */
  async sendReliably(frame: OutFrame): Promise<boolean> {
    const d = await deliverFrame(this.opts.conn, frame, this.opts.gaveUp);
    if (d.ok || d.code === "fenced") this.answered(frame);
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
    this.watchLapse();
  }

  /** A reconnect's `welcome` lists this lease (same epoch) with `ttlSeconds` (s) left: it is held until then. */
  confirmed(ttlSeconds: number): void {
    this.held(ttlSeconds);
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
    if (this.lapseTimer) clearTimeout(this.lapseTimer);
    this.lapseTimer = undefined;
  }

  /**
   * This run was abandoned (cancelled, lease lost) and its engine has exited or never started: a `stopped` frame
   * says so, to a coordinator that announced FEATURES.stopped. After taking a lease it keeps the job's serial key held
   * until then (core/serial-holds), so the key's next job starts only once this engine is gone. Best effort: a frame
   * lost to a dropped connection costs only the wait until the old lease would have expired. `usage`: the run's
   * cumulative usage, final now; what of it no answered frame carried goes first (`reportSpend`).
   */
  reportStopped(features: ReadonlySet<string> | undefined, usage: Usage): void {
    this.reportSpend(usage);
    if (!features?.has(FEATURES.stopped)) return;
    const { jobId, leaseEpoch } = this.opts;
    void this.opts.conn.request({ type: "stopped", jobId, leaseEpoch }).catch(() => undefined);
  }

  /**
   * The run's cumulative `usage` once its engine has exited, when it holds spend no answered frame carried: the engine
   * spent after the last log batch, and while it stopped, and those batches are not sent once the run is abandoned —
   * that money was never charged. One `progress` under this lease's epoch: fenced (the lease is gone), its spend is
   * charged all the same, and only its increase over the run's mark (policies/late-spend), so a resend costs nothing.
   * Sent now, before `stopped`, on the socket that is up; a socket that is down (a lapsed lease, usually) gets it
   * again after the next `welcome` (agent/report `deliverFrame`), for as long as this process lives. Not awaited:
   * the seat, its serial key and a drain do not wait on an outage for it.
   */
  private reportSpend(usage: Usage): void {
    if (!unchargedSpend(this.charged, usage)) return;
    const { conn, jobId, leaseEpoch } = this.opts;
    const frame: OutFrame = { type: "progress", jobId, leaseEpoch, insights: { ...usage } };
    const retried = (err: unknown) =>
      err instanceof FrameError && (err.code === "disconnected" || err.code === "timeout");
    void conn
      .request(frame)
      .catch((err: unknown) => (retried(err) ? deliverFrame(conn, frame, () => false) : undefined))
      .catch(() => undefined);
  }

  /** One renewal; its answer names the TTL granted, and the renewer keeps to half of it (agent/lease-renewer). */
  private async renewOnce(frame: OutFrame): Promise<void> {
    // The coordinator counts the TTL from when it took the renewal, which is after it was sent but may be long
    // before its answer arrives (a socket stalled up to a heartbeat): counted from the answer, a late one let the
    // engine outlive the lease by that delay, and the serial key's hold (engineStopsBy) with it.
    const sentAt = Date.now();
    try {
      const granted = (await this.opts.conn.request(frame)) as { ttlSeconds?: unknown } | undefined;
      const ttl = typeof granted?.ttlSeconds === "number" && granted.ttlSeconds >= 0 ? granted.ttlSeconds : undefined;
      if (ttl !== undefined && ttl > 0) this.renewer.adopt(ttl);
      this.held(ttl ?? this.ttlSeconds, sentAt); // an older coordinator names no TTL: the one it granted before
    } catch (err) {
      this.failed(frame, err);
    }
  }

  /**
   * The coordinator holds the lease for `ttlSeconds` (s) from `from` (ms, this host's clock; default now: 0 = it ended
   * it); the lapse watch moves to it.
   */
  private held(ttlSeconds: number, from = Date.now()): void {
    this.heldAt = from;
    this.heldUntil = this.heldAt + ttlSeconds * 1000;
    if (ttlSeconds > 0) this.ttlSeconds = ttlSeconds;
    if (this.renewer.running) this.watchLapse();
  }

  /**
   * Call `lapsed` once the lease is past its known expiry by the grace, unless an answer moves it first. Judged after
   * a poll (shared/after-poll): with the loop held past the lapse while a renewal's ack was already in the socket, the
   * timer fired before that ack was read, and a lease just renewed stopped its engine. An answer read by then has
   * moved the watch (a new timer), and a stop ended it: either way this timer is no longer the watch's, and decides
   * nothing.
   */
  private watchLapse(): void {
    if (this.lapseTimer) clearTimeout(this.lapseTimer);
    const grace = (this.opts.graceMs ?? lapseGraceMs)(this.ttlSeconds);
    const lapse = () => {
      if (this.lapseTimer !== timer) return;
      this.lapseTimer = undefined;
      const secs = Math.round((Date.now() - this.heldAt) / 1000);
      this.opts.lapsed(`no renewal acknowledged for ${secs}s: the lease (TTL ${this.ttlSeconds}s) has expired`);
    };
    const timer = setTimeout(
      afterPoll(lapse),
      Math.min(MAX_TIMER_MS, Math.max(0, this.heldUntil + grace - Date.now())),
    );
    timer.unref();
    this.lapseTimer = timer;
  }

  /** A fenced frame got no acknowledgement: the lease is gone when the coordinator says so, else the miss is logged. */
  private failed(frame: OutFrame, err: unknown): void {
    if (err instanceof FrameError && LEASE_LOST_CODES.has(err.code)) this.opts.lost(err.message);
    else this.opts.note(`${frame.type} not delivered: ${(err as Error).message}`);
  }
}
