/**
 * @module agent/lease-renewer
 * Keeps one lease alive: `renew` every TTL/2 (core/lease `renewDelayMs`, as
 * BullMQ does — one lost renewal still leaves a second chance before expiry).
 * A renewal answered `fenced`/`not_lease_holder` ends the job (the caller's
 * `send` handles that); one lost to a dropped connection is simply retried at
 * the next tick, and the reconnect's `welcome.leases` settles the rest.
 *
 * The coordinator decides a lease's TTL (the job's manifest, else the product's setting; a host may only ask for
 * shorter), and may change it while the job runs (an operator's PATCH of the product's settings, announced by a
 * `settings` frame): so every renewal's answer says the TTL it granted, and the renewer adopts it (`adopt`).
 */
import { LEASE_TTL, renewDelayMs } from "../core/lease.ts";
import { OUTAGE_GRACE_MIN_SECONDS } from "../core/outage-grace.ts";

export interface RenewPlan {
  /** Renew at once (a resumed lease may have little time left; a TTL we want differs from the one granted). */
  now: boolean;
  /** Interval between renewals. */
  everyMs: number;
}

/**
 * When to renew. `wanted` is `--lease-ttl` (undefined = whatever the coordinator grants); `granted` is the
 * assignment's `ttlSeconds`, which for a lease resumed from `welcome.leases` is only what was left of it — then
 * `connectionTtl` (welcome's `leaseTtlSeconds`, the TTL that applies on this connection) stands in until the first
 * renewal's answer says. A grant never exceeds `wanted` (the coordinator only shortens), so a grant longer than
 * `wanted` comes from an older coordinator: renew at once to ask for ours.
 */
export function renewPlan(
  wanted: number | undefined,
  granted: number,
  resumed: boolean,
  connectionTtl: number = LEASE_TTL.defaultSeconds,
): RenewPlan {
  const base = resumed ? connectionTtl : granted;
  const period = wanted === undefined ? base : Math.min(wanted, base);
  return { now: resumed || (wanted !== undefined && wanted < granted), everyMs: renewDelayMs(period) };
}

/**
 * How long past a lease's known expiry (ms) a seat still lets its engine run without a renewal answered: max(TTL,
 * 30 s). A partitioned host's lease expired at that expiry and the job may already run elsewhere; but a coordinator
 * that went down with the socket grants its holders max(TTL, OUTAGE_GRACE_MIN_SECONDS) after it returns
 * (core/outage-grace), and the agent cannot tell the two apart: this much of an outage costs no engine. At the
 * default 60 s TTL an engine stops 90–120 s after its last renewal answer.
 */
export function lapseGraceMs(ttlSeconds: number): number {
  return Math.max(ttlSeconds, OUTAGE_GRACE_MIN_SECONDS) * 1000;
}

export class LeaseRenewer {
  private timer: ReturnType<typeof setInterval> | undefined;
  private renew: (() => void) | undefined;
  private everyMs = 0;

  /** `renew` sends one renew frame (its failures are its own business). */
  start(plan: RenewPlan, renew: () => void): void {
    this.stop();
    this.renew = renew;
    this.everyMs = plan.everyMs;
    if (plan.now) renew();
    this.timer = setInterval(renew, plan.everyMs);
  }

  /** The coordinator granted `ttlSeconds` (a renewal's answer): renew every half of it from now on. */
  adopt(ttlSeconds: number): void {
    const everyMs = renewDelayMs(ttlSeconds);
    if (!this.timer || !this.renew || everyMs === this.everyMs) return;
    clearInterval(this.timer);
    this.everyMs = everyMs;
    this.timer = setInterval(this.renew, everyMs);
  }

  /** Renew at once (the product's lease TTL changed: the answer moves this lease to it), keeping the cadence. */
  renewNow(): void {
    if (this.timer && this.renew) this.renew();
  }

  /** The current interval between renewals, ms (0 when stopped). */
  get intervalMs(): number {
    return this.timer ? this.everyMs : 0;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
