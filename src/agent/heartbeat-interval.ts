/**
 * @module agent/heartbeat-interval
 * How often the agent beats on its socket (agent/connection), from what the coordinator's `welcome` asks
 * (`heartbeatIntervalMs`). Each beat's answer is awaited for one interval and, missing, the socket is dropped as
 * half-open and the agent reconnects: the interval bounds how long a dead socket goes unseen (two intervals). The
 * welcome's value was trusted up to Node's longest timer (2^31 − 1 ms): a coordinator asking for that had a half-open
 * socket go unseen for 24 days, while every lease the agent held lapsed with no renewal reaching the coordinator.
 */

/**
 * 30 s: the longest interval a welcome gets — twice the coordinator's own 15 s (core/lease HEARTBEAT), so a
 * half-open socket is found within one minute, the default lease TTL. (Also far below Node's longest timer, which
 * Node fires after 1 ms instead.)
 */
export const HEARTBEAT_MAX_MS = 30_000;

/** 1 s: the shortest; a welcome asking for less (0, negative) would have the agent beat without pause. */
export const HEARTBEAT_MIN_MS = 1000;

/** The heartbeat interval for a welcome's `heartbeatIntervalMs` (any number), ms: held within MIN..MAX. Pure. */
export function heartbeatEvery(askedMs: number): number {
  return Math.min(HEARTBEAT_MAX_MS, Math.max(HEARTBEAT_MIN_MS, askedMs));
}
