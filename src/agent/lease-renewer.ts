/**
 * @module agent/lease-renewer
 * Keeps one lease alive: `renew` every TTL/2 (core/lease `renewDelayMs`, as
 * BullMQ does — one lost renewal still leaves a second chance before expiry).
 * A renewal answered `fenced`/`not_lease_holder` ends the job (the caller's
 * `send` handles that); one lost to a dropped connection is simply retried at
 * the next tick, and the reconnect's `welcome.leases` settles the rest.
 */
import { LEASE_TTL, renewDelayMs } from "../core/lease.ts";

export interface RenewPlan {
  /** Renew at once (a resumed lease may have little time left; a TTL we want differs from the one granted). */
  now: boolean;
  /** Interval between renewals. */
  everyMs: number;
}

/**
 * When to renew. `wanted` is `--lease-ttl` (undefined = the coordinator's default
 * for this connection); `granted` is the assignment's `ttlSeconds`, which for a
 * lease resumed from `welcome.leases` is only what was left of it.
 */
export function renewPlan(wanted: number | undefined, granted: number, resumed: boolean): RenewPlan {
  const period = wanted ?? (resumed ? LEASE_TTL.defaultSeconds : granted);
  return { now: resumed || (wanted !== undefined && wanted !== granted), everyMs: renewDelayMs(period) };
}

export class LeaseRenewer {
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `renew` sends one renew frame (its failures are its own business). */
  start(plan: RenewPlan, renew: () => void): void {
    this.stop();
    if (plan.now) renew();
    this.timer = setInterval(renew, plan.everyMs);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
