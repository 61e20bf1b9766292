/**
 * @module core/breaker
 * The circuit breaker of one factory × engine (issue 9 part 3; seed 000 "breakers"), as a pure state machine.
 * Time is a parameter (`now`, ms epoch); nothing here reads a clock, so a test replays any history.
 *
 *   closed ──(failureThreshold consecutive failures)──▶ open ──(now ≥ openUntil)──▶ half_open
 *   half_open ──(THE trial succeeds)──▶ closed (counters reset)
 *   half_open ──(THE trial fails)──▶ open again, cool-down doubled (capped at maxCoolDownSeconds)
 *   any ──(rate_limited, retryAfterSeconds = N)──▶ open until at least now + N s (never sooner than it was; the
 *        cool-down ladder is not touched). No wait given (N missing or 0): the base cool-down, since the engine
 *        is throttled for a time it did not say, and a 0 s hold would hand the job straight back to it.
 *
 * Half-open admits exactly ONE trial run: `admit` records which (job id + lease epoch), and while it is out the
 * breaker counts as open. Only that run's end settles the half-open state or frees the slot: any other run still
 * out then started before the trip (nothing else got through), so its failure only counts and its neutral end
 * (cancel, requeue, release) moves nothing. Any run's success closes the breaker: the engine works.
 *
 * An operator's reset (`resetBreaker`, "transition to closed" in resilience4j's words) closes it at once, counters
 * and cool-down ladder cleared: the operator knows the engine is fixed (a login renewed, a limit lifted). A trial
 * still out then was probing the engine as it was before the fix, so its result is no evidence any more: it is kept
 * as `overriddenTrial`, and its end moves nothing but that ref (`stale` in its Transition: the coordinator counts it
 * against no error budget either) — a late failure must not re-open (threshold 1) or count against the fixed engine.
 * One exception: a rate limit that states its wait (`retryAfterSeconds` > 0) says what the engine's limit is NOW,
 * whoever hit it, so it opens the breaker until now + N (never sooner); one with no wait stays ignored. Runs from
 * before the trip still count as they always do.
 *
 * The other runs out at the reset are about the old engine too (several seats busy under an expired login fail right
 * after it, and would re-trip it at once): the reset's instant is kept as `resetAt`, and the end of any run whose
 * lease was granted strictly before it (`startedAt < resetAt`) is stale as the overridden trial's is. Strictly: a run
 * granted in the reset's own ms may be the first of the dispatch pass it asked for, so it counts — the trial, the one
 * out-at-reset run that may share that ms, is known by its ref. A stale run is never THE trial (a trial admitted
 * after the reset started at or after it), so only the trial still settles half-open. The coordinator keeps
 * `resetAt` only while such a run is out. The ref lives only on a closed breaker: a new trip (another run's failures) drops it, and the
 * overridden trial is from then on one more run from before that trip.
 */

import { counted } from "./counted.ts";
import type { BreakerSettings } from "./settings.ts";

/** The engine key of a job that names no engine: the factory runs its default one. `*` is no valid engine name. */
export const DEFAULT_ENGINE = "*";

export type BreakerState = "closed" | "open" | "half_open";

/** One run, as jobs/runs keys it: a job under one lease epoch. */
export interface RunRef {
  jobId: string;
  leaseEpoch: number;
}

/** What is stored per factory × engine. */
export interface Breaker {
  /** Consecutive failures since the last success (reset on success). */
  consecutiveFailures: number;
  /** While set: open until this instant (ms epoch); half-open from then on. Unset: closed. */
  openUntil?: number;
  /** The cool-down used for the last trip, s; the next failed trial doubles it. Unset while closed. */
  coolDownSeconds?: number;
  /** The half-open breaker's one trial run while it is out (assigned, not yet ended). */
  trial?: RunRef;
  /** A trial that was out when an operator reset the breaker, while it is still out: its end moves nothing. Closed only. */
  overriddenTrial?: RunRef;
  /** The operator's last reset (ms epoch), while a run granted before it may be out: its end is stale (module note). */
  resetAt?: number;
}

/** What a run's end means to a breaker. `neutral` outcomes (cancelled, fenced, budget) leave it alone. */
export type BreakerEvent =
  | { kind: "success" }
  | { kind: "failure" }
  /** `retryAfterSeconds` missing or 0: the engine named no wait (see the module note). */
  | { kind: "rate_limited"; retryAfterSeconds?: number }
  | { kind: "neutral" };

export const CLOSED: Readonly<Breaker> = Object.freeze({ consecutiveFailures: 0 });

/** The state at `now`: an open breaker whose `openUntil` has passed is half-open. */
export function breakerState(b: Breaker, now: number): BreakerState {
  if (b.openUntil === undefined) return "closed";
  return now < b.openUntil ? "open" : "half_open";
}

/**
 * True when the router must keep jobs of this engine away from the factory at `now`: open, or half-open with its
 * one trial already out. A half-open breaker with no trial out lets exactly one job through (see `admit`).
 */
export function blocksRouting(b: Breaker, now: number): boolean {
  const state = breakerState(b, now);
  return state === "open" || (state === "half_open" && b.trial !== undefined);
}

/** `run` was assigned under this breaker at `now`: on a half-open breaker with no trial out it is the trial. */
export function admit(b: Breaker, run: RunRef, now: number): Breaker {
  if (breakerState(b, now) !== "half_open" || b.trial) return b;
  return { ...b, trial: { jobId: run.jobId, leaseEpoch: run.leaseEpoch } };
}

const sameRun = (a: RunRef | undefined, run: RunRef): boolean =>
  a !== undefined && a.jobId === run.jobId && a.leaseEpoch === run.leaseEpoch;

/** True when `run` is the breaker's trial. */
export const isTrial = (b: Breaker, run: RunRef): boolean => sameRun(b.trial, run);

/**
 * An operator's reset: closed, no failures counted, the cool-down ladder back at its base (the next trip waits
 * `coolDownSeconds`, not a doubled one). A trial out (half-open, or open again by a rate limit while it ran) becomes
 * `overriddenTrial`, as does one a former reset overrode that is still out (see the module note). Needs no `now`:
 * whatever the state, the answer is closed. A breaker closed with no failures and nothing overridden comes back
 * equal (`sameBreaker` in the coordinator): nothing to reset. `resetAt` (ms epoch): the reset's instant, given while a
 * run granted before it is out (module note); omitted, none is kept. Throws nothing.
 */
export function resetBreaker(b: Breaker, resetAt?: number): Breaker {
  // At most one of the two is set: a trial only while not closed, an overridden one only while closed.
  const overridden = b.trial ?? b.overriddenTrial;
  return { ...CLOSED, ...(overridden ? { overriddenTrial: overridden } : {}), ...(resetAt ? { resetAt } : {}) };
}

/** True when `run` ended stale on `b`: the trial a reset overrode, or a run granted before the reset (module note). */
export function staleRun(b: Breaker, run: RunRef & { startedAt?: number }): boolean {
  if (sameRun(b.overriddenTrial, run)) return true;
  return !isTrial(b, run) && b.resetAt !== undefined && run.startedAt !== undefined && run.startedAt < b.resetAt;
}

/** The next cool-down (s) after a failed trial: doubled, never above the cap. */
export function nextCoolDown(previousSeconds: number | undefined, s: BreakerSettings): number {
  const base = Math.min(s.coolDownSeconds, s.maxCoolDownSeconds);
  if (previousSeconds === undefined) return base;
  return Math.min(s.maxCoolDownSeconds, Math.max(base, previousSeconds * 2));
}

/** Why a breaker is open after `event` with `consecutiveFailures`: the text its alert, lesson and audit give. */
export function openReason(event: BreakerEvent, consecutiveFailures: number): string {
  if (event.kind !== "rate_limited") return `${counted(consecutiveFailures, "consecutive failed run")}`;
  const n = event.retryAfterSeconds;
  return `the engine reported a rate limit (${n ? `retry after ${n} s` : "no wait given: the base cool-down"})`;
}

/** 1 ns: far below a ms, far above a product of doubles' rounding error at these sizes (≤ 6·10⁸ ms). */
const FLOAT_NOISE_MS = 1e-6;

/**
 * `seconds` after `now` (ms epoch), rounded up to a whole ms: `openUntil` is stored (an INTEGER column), alerted, sent
 * in metrics and the breakers list, and woken for by the alarm. A rate limit's 0.0015 s opened it until now + 1.5 ms.
 * Up, never sooner than the engine asked; past float noise, so 0.007 s is 7 ms, not the 8 that 7.000000000000001 is.
 */
function msAfter(now: number, seconds: number): number {
  return now + Math.ceil(seconds * 1000 - FLOAT_NOISE_MS);
}

/**
 * What one run's end did: the new breaker, and whether it tripped (closed/half-open → open) or closed. `stale`: the
 * run is from before an operator's reset — no evidence about the engine as it is, so no error budget counts it.
 */
export interface Transition {
  next: Breaker;
  tripped: boolean;
  closed: boolean;
  stale?: true;
}

function withoutTrial(b: Breaker): Breaker {
  const { trial: _t, ...rest } = b;
  return rest;
}

/** `b` as it opens: a trial a reset overrode is from then on one more run from before the trip (module note). */
function opening(b: Breaker): Breaker {
  const { overriddenTrial: _o, ...rest } = b;
  return rest;
}

/**
 * Applies the end of `run` at `now`.
 * @param s the product's `breaker` settings (core/settings); `retryAfterSeconds` is in s and must be finite ≥ 0.
 * @throws RangeError — a rate limit with a negative or non-finite `retryAfterSeconds`.
 */
export function onRunEnd(
  b: Breaker,
  event: BreakerEvent,
  run: RunRef & { startedAt?: number },
  now: number,
  s: BreakerSettings,
): Transition {
  // A run from before a reset: its end is no evidence about the fixed engine (module note); the overridden trial's
  // drops its ref — but a stated retry-after is the engine's limit now, so it is honoured as any run's.
  if (staleRun(b, run)) {
    const left = sameRun(b.overriddenTrial, run) ? opening(b) : b;
    const stated = event.kind === "rate_limited" && event.retryAfterSeconds ? event : undefined;
    const t = stated ? applyEnd(left, stated, run, now, s) : { next: left, tripped: false, closed: false };
    return { ...t, stale: true };
  }
  return applyEnd(b, event, run, now, s);
}

/** A fresh state's carry of `b`'s reset instant: a trip or a close leaves runs from before the reset out. */
const keptReset = (b: Breaker): Pick<Breaker, "resetAt"> => (b.resetAt !== undefined ? { resetAt: b.resetAt } : {});

/** `onRunEnd` of a run that counts. */
function applyEnd(b: Breaker, event: BreakerEvent, run: RunRef, now: number, s: BreakerSettings): Transition {
  const state = breakerState(b, now);
  const trial = isTrial(b, run);
  // The trial ended, whatever its outcome: its slot is free.
  const rest = trial ? withoutTrial(b) : b;
  switch (event.kind) {
    case "neutral":
      return { next: rest, tripped: false, closed: false };
    case "success": {
      // Closed, a trial a reset overrode still out: its end must still move nothing (a late failure, threshold 1).
      const kept = { ...(b.overriddenTrial ? { overriddenTrial: b.overriddenTrial } : {}), ...keptReset(b) };
      return { next: { ...CLOSED, ...kept }, tripped: false, closed: state !== "closed" };
    }
    case "rate_limited": {
      const n = event.retryAfterSeconds;
      if (n !== undefined && (!Number.isFinite(n) || n < 0))
        throw new RangeError(`retryAfterSeconds must be a finite number ≥ 0, got ${n}`);
      const waitS = n ? n : nextCoolDown(undefined, s);
      // A rate limit never shortens an open breaker's cool-down: a run out from before the trip may report late.
      const openUntil = Math.max(b.openUntil ?? Number.NEGATIVE_INFINITY, msAfter(now, waitS));
      return { next: { ...opening(rest), openUntil }, tripped: state !== "open", closed: false };
    }
    case "failure": {
      const failures = b.consecutiveFailures + 1;
      if (state === "half_open" && trial) {
        const coolDown = nextCoolDown(b.coolDownSeconds, s);
        const next = { ...keptReset(b), consecutiveFailures: failures, openUntil: msAfter(now, coolDown) };
        return { next: { ...next, coolDownSeconds: coolDown }, tripped: true, closed: false };
      }
      // Open, or half-open and this run is not the trial (it started before the trip): it only counts.
      if (state !== "closed" || failures < s.failureThreshold)
        return { next: { ...rest, consecutiveFailures: failures }, tripped: false, closed: false };
      const coolDown = nextCoolDown(undefined, s);
      const next: Breaker = {
        ...keptReset(b),
        consecutiveFailures: failures,
        openUntil: msAfter(now, coolDown),
        coolDownSeconds: coolDown,
      };
      return { next, tripped: true, closed: false };
    }
  }
}
