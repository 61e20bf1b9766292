/**
 * @module core/lease
 * The arithmetic of leases, retries and heartbeats (SPEC §4.3 recovery, §6 retries).
 * Storage, alarms and fencing live in the coordinator Durable Object; this module
 * only answers "until when?", "is it still live?", "what happens on expiry?" and
 * "how long to wait?" — from numbers passed in, never from a clock.
 */

import { heartbeatHealth, MISSED_BEFORE } from "./health.ts";
import type { Health } from "./model.ts";

export const LEASE_TTL = Object.freeze({
  /** 60 s: long enough to ride out a GC pause or a reconnect, short enough that a dead host's job restarts soon. */
  defaultSeconds: 60,
  /** 5 s: below this, renewal traffic (every TTL/2) would dominate and clock jitter would expire healthy leases. */
  minSeconds: 5,
  /** 1 h: a longer lease would let a vanished factory sit on a job for most of a working session. */
  maxSeconds: 3600,
});

/**
 * Clamps a requested TTL into [min, max]; anything not a finite number gets the default.
 * Clamping (rather than rejecting) keeps a misconfigured agent working; the HTTP layer
 * validates the request body separately.
 */
export function clampTtlSeconds(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds)) return LEASE_TTL.defaultSeconds;
  return Math.min(LEASE_TTL.maxSeconds, Math.max(LEASE_TTL.minSeconds, ttlSeconds));
}

/** When a lease granted or renewed at `now` (ms epoch) stops being live; the TTL is clamped first. */
export function leaseExpiresAt(now: number, ttlSeconds: number = LEASE_TTL.defaultSeconds): number {
  return now + clampTtlSeconds(ttlSeconds) * 1000;
}

/** Live iff `now < expiresAt`: at the exact expiry instant the lease is already gone (no shared instant). */
export function isLeaseLive(expiresAt: number, now: number): boolean {
  return now < expiresAt;
}

/**
 * How long a holder waits before renewing: half the TTL, as BullMQ does, so one lost
 * renewal still leaves a second chance before expiry.
 */
export function renewDelayMs(ttlSeconds: number = LEASE_TTL.defaultSeconds): number {
  return (clampTtlSeconds(ttlSeconds) * 1000) / 2;
}

export type ExpiryDecision = "requeue" | "dead_letter";

/**
 * What to do with a job whose lease expired. `attempt` is counted at claim time, so
 * a job on its last allowed attempt (attempt === maxAttempts) has no try left.
 */
export function decideExpiry(job: { attempt: number; maxAttempts: number }): ExpiryDecision {
  return job.attempt >= job.maxAttempts ? "dead_letter" : "requeue";
}

/**
 * How a lease ends that something takes from its holder at `now` (ms) — a revoke, a deregister, a preemption, a
 * budget stop, an operator's requeue: one that has lapsed (`isLeaseLive` false: the reaper's to expire, the alarm
 * just not run yet) is an expiry whatever takes it, so the job ends exactly as had the reaper run first — its
 * attempt counted (`attempt` as it is), dead-lettered if that was its last (`decideExpiry`). A live one is handed
 * back with its attempt refunded: nothing failed. `leaseExpiresAt` absent counts as lapsed (a lease with no expiry
 * is none the reaper would keep).
 */
export type TakenLeaseEnding =
  | { ending: "expiry"; decision: ExpiryDecision; attempt: number }
  | { ending: "hand_back"; attempt: number };

export function takenLeaseEnding(
  job: { attempt: number; maxAttempts: number; leaseExpiresAt?: number },
  now: number,
): TakenLeaseEnding {
  if (isLeaseLive(job.leaseExpiresAt ?? 0, now)) return { ending: "hand_back", attempt: Math.max(0, job.attempt - 1) };
  return { ending: "expiry", decision: decideExpiry(job), attempt: job.attempt };
}

export interface RetryBackoff {
  /** Delay before the first retry. */
  baseMs?: number;
  /** Ceiling on any single delay. */
  capMs?: number;
}

/** 5 s: enough for a flapping dependency (registry, rate limit) to recover before retry #1. */
const DEFAULT_BASE_MS = 5_000;
/** 10 min: past this a retry is better handled by an operator than by waiting longer. */
const DEFAULT_CAP_MS = 600_000;

/**
 * Exponential backoff: base · 2^(attempt−1), capped. `attempt` is the attempt that just
 * failed (1 = first); values below 1 are treated as 1. Deterministic: the ceiling that
 * `jitteredRetryDelayMs` (the product's retry policy, with jitter) draws below.
 */
export function retryDelayMs(
  attempt: number,
  { baseMs = DEFAULT_BASE_MS, capMs = DEFAULT_CAP_MS }: RetryBackoff = {},
): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  return Math.min(capMs, baseMs * 2 ** exponent); // 2 ** large = Infinity, and min() still yields the cap
}

/** The retry policy of a product (core/settings `RetrySettings`): base and cap in s, jitter a fraction in [0, 1]. */
export interface RetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
  jitter: number;
}

/**
 * The delay before the automatic retry of a failed attempt, whole ms: the capped exponential
 * `d = min(max, base · 2^(attempt−1))`, then jittered down by up to `jitter · d` —
 * `⌈d · (1 − jitter · random)⌉` — so the result lies in `[(1 − jitter) · d, ⌈d⌉]` (to 1 ns): never above
 * a `maxSeconds` set in whole ms ("equal jitter" at 0.5, AWS Architecture Blog, "Exponential Backoff and Jitter").
 * Whole ms because the coordinator adds it to `now` for the job's `notBefore`, an integer ms epoch in the API's
 * schema and an INTEGER column: an unrounded draw answered `notBefore: 1796379726857.1384`, which a client typed by
 * the OpenAPI document (integer) refuses. Rounded up, not to nearest, so it never undercuts the jittered floor.
 * Jitter spreads the retries of a burst that failed together (a registry outage fails many jobs at
 * once; their retries should not all land on it in the same second). `random` ∈ [0, 1) is a
 * parameter (the coordinator passes `Math.random()`) so tests are deterministic; values outside
 * are clamped into it. `attempt` is the attempt that just failed (1 = first; below 1 counts as 1).
 */
export function jitteredRetryDelayMs(attempt: number, policy: RetryPolicy, random: number): number {
  const capped = retryDelayMs(attempt, { baseMs: policy.baseSeconds * 1000, capMs: policy.maxSeconds * 1000 });
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0;
  const jitter = Math.min(Math.max(policy.jitter, 0), 1);
  // Up to whole ms, past float noise: 20 000 · (1 − 0.5 · 0.999) is 10 010.000000000002 in doubles, not 10 011 ms.
  return Math.ceil(capped * (1 - jitter * r) - FLOAT_NOISE_MS);
}

/** 1 ns: far below a ms and far above the rounding error of a product of doubles of this size (≤ 6·10⁸ ms). */
const FLOAT_NOISE_MS = 1e-6;

export const HEARTBEAT = Object.freeze({
  /** 15 s: a quarter of the default lease TTL, so a factory's health is known well before its leases lapse. */
  intervalMs: 15_000,
  /** 3 missed beats mark a factory down, 1 degraded (core/health `MISSED_BEFORE`, with its jitter grace). */
  missedBeforeDown: MISSED_BEFORE.down,
});

/**
 * Health from heartbeat age — the one rule (core/health `heartbeatHealth`): "ok" while no beat is missed (one
 * interval of grace for a late beat), "degraded" from 1 missed beat (2 intervals of silence), "down" from 3
 * (4 intervals). Never seen = down.
 */
export function factoryHealthAt(lastHeartbeatAt: number | undefined, now: number): Health {
  return heartbeatHealth(lastHeartbeatAt, now, HEARTBEAT.intervalMs);
}

export const EXPIRY_HEALTH = Object.freeze({
  /** 30 min: long enough to see a pattern in a host's behaviour, short enough that a repaired host recovers. */
  windowMs: 30 * 60_000,
  /** 3 expiries in the window: one is a crash, two a bad hour, three a host that takes work it never does. */
  expiriesBeforeDegraded: 3,
});

/**
 * A factory's lease-expiry record after one more expiry at `now`: only instants inside the window are kept,
 * and never more than `expiriesBeforeDegraded` of them (enough to decide, bounded in size).
 */
export function recordExpiry(expiries: readonly number[] | undefined, now: number): number[] {
  const recent = [...(expiries ?? []), now].filter((at) => now - at < EXPIRY_HEALTH.windowMs);
  return recent.slice(-EXPIRY_HEALTH.expiriesBeforeDegraded);
}

/**
 * How many of `expiries` fall inside the window ending at `now`. One after `now` counts: a clock that stepped back
 * (a coordinator moved to another host) recorded it, and the lease did expire — as `recordExpiry` keeps it.
 */
export function recentExpiries(expiries: readonly number[] | undefined, now: number): number {
  return (expiries ?? []).filter((at) => now - at < EXPIRY_HEALTH.windowMs).length;
}

/**
 * Health from heartbeats AND from leases let expire: a host that keeps beating but lets
 * `expiriesBeforeDegraded` leases expire within the window is "degraded" (ranked lower), never better than
 * its heartbeat says. `expiries` are ms-epoch instants (from `recordExpiry`).
 */
export function factoryHealth(
  lastHeartbeatAt: number | undefined,
  expiries: readonly number[] | undefined,
  now: number,
): Health {
  const byBeat = factoryHealthAt(lastHeartbeatAt, now);
  if (byBeat !== "ok") return byBeat;
  return recentExpiries(expiries, now) >= EXPIRY_HEALTH.expiriesBeforeDegraded ? "degraded" : "ok";
}
