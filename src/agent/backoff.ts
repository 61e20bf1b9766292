/**
 * @module agent/backoff
 * Reconnect delays for the factory WebSocket, after partysocket's model: capped
 * exponential growth with jitter, reset once a connection has proved stable.
 * Pure: the random source is a parameter, so tests pin it.
 */

export interface ReconnectPolicy {
  /** First delay. */
  minMs: number;
  /** Ceiling on any delay, jitter included. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Spread as a fraction of the delay (0.2 = ±20 %). */
  jitter: number;
  /** A connection that stayed up this long resets the attempt count. */
  stableAfterMs: number;
}

export const RECONNECT: Readonly<ReconnectPolicy> = Object.freeze({
  /** 250 ms: a coordinator that merely restarted is back almost at once; no need to wait longer first. */
  minMs: 250,
  /** 10 s: the longest a host may sit idle after an outage ends; far below any lease TTL (≥ 5 s is renewed at TTL/2, and welcome resumes leases). */
  maxMs: 10_000,
  /** 1.5: partysocket's default — reaches the cap on the 11th attempt, after ~28 s of trying, gentle on a recovering server. */
  factor: 1.5,
  /** ±20 %: enough to spread a fleet that lost the server at the same instant, so they do not all return together. */
  jitter: 0.2,
  /** 5 s: partysocket's `minUptime`; a socket that dies sooner was not a real recovery. */
  stableAfterMs: 5_000,
});

/**
 * Delay before reconnect attempt `attempt` (0 = the first retry after a drop).
 * `random` returns [0, 1); 0.5 gives the undisturbed value.
 */
export function reconnectDelayMs(
  attempt: number,
  random: () => number = Math.random,
  policy: ReconnectPolicy = RECONNECT,
): number {
  const n = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt)) : 0;
  // Cap before exponentiation overflows: factor ** 1000 is Infinity, which min() still handles.
  const base = Math.min(policy.maxMs, policy.minMs * policy.factor ** n);
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxMs, Math.max(0, base * spread)));
}

/**
 * The attempt index to use for the next delay, given the current one and how long the
 * connection that just closed had been up (undefined = it never opened). A stable
 * connection starts the sequence over; the caller increments after each delay.
 */
export function attemptAfterClose(attempt: number, uptimeMs: number | undefined, policy = RECONNECT): number {
  return uptimeMs !== undefined && uptimeMs >= policy.stableAfterMs ? 0 : attempt;
}
