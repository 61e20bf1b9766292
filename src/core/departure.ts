/**
 * @module core/departure
 * A factory that LEFT versus one that went DOWN. An operator stopping an agent on purpose (SIGTERM: the agent sends
 * `drain`, finishes or gives back its jobs, then closes its socket normally) stops its heartbeats exactly as a crash
 * does; read by heartbeats alone it turned `down` and paged (`factory_down`, critical) — once per host on every
 * rolling upgrade. Here the link's end decides: drained + clean close + no lease held = left, shown as health
 * `left` (never `down`, however long it stays away) until it says hello or beats again. Anything else — no close
 * frame (kill -9, a crash, the network), an error close, or leases still held — is an outage, judged by heartbeats
 * as before. Pure: the clock is the `now` parameter.
 */
import { factoryHealth } from "./lease.ts";
import type { Health } from "./model.ts";

/**
 * Close codes a peer ends its link with on purpose: 1000 normal (the agent's `close()` after a drain) and 1001
 * going away. Not 1005/1006 — no close frame, the connection just dropped (kill -9, a crash, a cut network) — nor
 * any error code (1002, 1011, 4xxx).
 */
export const CLEAN_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001]);

/** How a factory's live link ended: whether its agent had sent `drain`, the peer's close code, leases it still holds. */
export interface LinkEnd {
  draining: boolean;
  code: number;
  heldLeases: number;
}

/** Whether a link's end is a departure (drained, closed cleanly, holding nothing) rather than an outage. */
export function leftCleanly(end: LinkEnd): boolean {
  return end.draining && CLEAN_CLOSE_CODES.has(end.code) && end.heldLeases === 0;
}

/** What health reads from: the last beat and recent lease expiries (ms epoch), and when the factory left (ms). */
export interface HealthFacts {
  lastHeartbeatAt?: number;
  leaseExpiries?: readonly number[];
  leftAt?: number;
}

/**
 * Whether a factory that left at `leftAt` is still away: a beat after it left (a hello clears `leftAt`; an HTTP
 * poll only beats) means it is back and heartbeats judge it again.
 */
export function hasLeft(f: Pick<HealthFacts, "lastHeartbeatAt" | "leftAt">): boolean {
  return f.leftAt !== undefined && (f.lastHeartbeatAt === undefined || f.lastHeartbeatAt <= f.leftAt);
}

/**
 * A factory's health at `now` (ms epoch) as the fleet view, the alerts and the product summary read it: `left` while
 * it is away after leaving cleanly (`hasLeft`), else core/lease `factoryHealth` (heartbeats and lease expiries).
 */
export function standingHealth(f: HealthFacts, now: number): Health {
  return hasLeft(f) ? "left" : factoryHealth(f.lastHeartbeatAt, f.leaseExpiries, now);
}
