/**
 * @module core/health
 * Health rules, pure, with `now` (ms epoch) a parameter (issue 9, part 5; seeds 000 "stall health", 002 "STUCK"):
 * - a factory's heartbeat health — the ONE rule: core/lease `factoryHealthAt` (which the registry and the
 *   router read) delegates here, so the fleet map, the router and the alerts never disagree;
 * - a `building` job is stuck after `stuckAfterMinutes` with no event;
 * - a queued job is starving after `starvingAfterMinutes` in the queue, counted from when it became due;
 * - a product is `stalled` when nothing shipped for 2 × `expectedFinishIntervalMinutes` while work waits — a job
 *   waiting out a retry's backoff waits from its end, as for starving —, `degraded` while a warning/critical alert
 *   is open or a factory is degraded or down, else `healthy`.
 */
import type { AlertSeverity } from "./alerts.ts";
import { dueAt } from "./metrics.ts";

export type HeartbeatHealth = "ok" | "degraded" | "down";
export type ProductStatus = "healthy" | "degraded" | "stalled";

/** Missed beats that mark a factory degraded, then down (issue 9: "1 missed is degraded, 3 is down"). */
export const MISSED_BEFORE = Object.freeze({ degraded: 1, down: 3 });

/**
 * Beats missed after `silenceMs` without one, at one beat per `intervalMs`. The beat due one interval after the
 * last is not counted missed until the next is due as well: a beat is sent *every* interval, so one arriving a
 * little late (network, a busy host) must not flip the factory — one interval of grace absorbs that jitter.
 * 0–2 intervals of silence: 0 missed; 2–3: 1; 3–4: 2; from 4: 3 or more.
 */
export function missedHeartbeats(silenceMs: number, intervalMs: number): number {
  if (!(silenceMs > 0) || !(intervalMs > 0)) return 0;
  return Math.max(0, Math.floor(silenceMs / intervalMs) - 1);
}

/** Health from the last heartbeat (ms epoch; undefined = never seen = down). */
export function heartbeatHealth(lastHeartbeatAt: number | undefined, now: number, intervalMs: number): HeartbeatHealth {
  if (lastHeartbeatAt === undefined) return "down";
  const missed = missedHeartbeats(now - lastHeartbeatAt, intervalMs);
  if (missed >= MISSED_BEFORE.down) return "down";
  return missed >= MISSED_BEFORE.degraded ? "degraded" : "ok";
}

/** The instant (ms) a factory silent since `lastHeartbeatAt` next changes health, or undefined once down. */
export function nextHeartbeatCrossing(lastHeartbeatAt: number, now: number, intervalMs: number): number | undefined {
  const crossings = [MISSED_BEFORE.degraded, MISSED_BEFORE.down].map((m) => lastHeartbeatAt + (m + 1) * intervalMs);
  return crossings.find((at) => at > now);
}

const MINUTE = 60_000;

/** A building job whose last event was at `lastEventAt` (ms) is stuck at `now`. */
export function isStuck(lastEventAt: number, now: number, stuckAfterMinutes: number): boolean {
  return now - lastEventAt > stuckAfterMinutes * MINUTE;
}

/**
 * When a building job whose last event was at `lastEventAt` (whole ms) is stuck (`isStuck` holds from then on, not a
 * ms before): the alarm's wake-up, a whole ms. `isStuck` is strict, so the threshold itself is one ms early — a pass
 * woken there found nothing stuck and set the alarm again for the next ms.
 */
export function stuckAt(lastEventAt: number, stuckAfterMinutes: number): number {
  return lastEventAt + firstWholeMsPast(stuckAfterMinutes * MINUTE);
}

/**
 * The least whole ms `d` with `d > ms`: when a strict "longer than `ms`" first holds on a ms clock. `ms + 1` was that
 * only for whole `ms`; a threshold in fractions of a minute (settings allow 0.05 min up) need not be one — 0.123456
 * min is 7,407.36 ms: stuck from 7,408 ms, while 7,408.36 was named, and the health pass (`at ≤ now`) ran a ms late.
 */
function firstWholeMsPast(ms: number): number {
  return Math.floor(ms) + 1;
}

/** A queued job waiting since `queuedAt` (ms) is starving at `now`. */
export function isStarving(queuedAt: number, now: number, starvingAfterMinutes: number): boolean {
  return now - queuedAt > starvingAfterMinutes * MINUTE;
}

/**
 * When a queued job's starving clock starts (ms): when its wait began, if a requeue did not end it (`waitingSince`:
 * a lost lease, a rate limit) — else when it became due (core/metrics `dueAt`): waiting out a retry's backoff
 * (`notBefore`, up to a week) is not waiting for a factory. The coordinator orders its starving candidates by this
 * very instant, along an index over the same expression (policies/health-starving `STARVING_FROM_SQL`).
 */
export function starvingFrom(j: { queuedAt: number; notBefore?: number; waitingSince?: number }): number {
  return j.waitingSince ?? dueAt(j.queuedAt, j.notBefore);
}

/**
 * When the longest wait of `queued` began (ms), the least `starvingFrom` (what the stall rule takes); undefined for
 * an empty queue. Later than `now` when every queued job waits out a retry's backoff: that work joins the waiting
 * at its `notBefore`, not at its requeue. The coordinator reads the same instant as the first entry of its due index
 * (policies/health-summary).
 */
export function oldestWaitingSince(queued: ReadonlyArray<Parameters<typeof starvingFrom>[0]>): number | undefined {
  // A fold, not Math.min(...spread): a spread of a long queue overflows the call stack.
  return queued.reduce<number | undefined>(
    (least, j) => Math.min(least ?? Number.POSITIVE_INFINITY, starvingFrom(j)),
    undefined,
  );
}

/**
 * When a job whose clock starts at `from` (whole ms) is starving (`isStarving` holds from then on, not a ms before):
 * the alarm's wake-up, a whole ms.
 */
export function starvingAt(from: number, starvingAfterMinutes: number): number {
  return from + firstWholeMsPast(starvingAfterMinutes * MINUTE);
}

export interface ProductHealthInputs {
  /** The last instant a job finished (shipped), ms; undefined if none ever did. */
  lastFinishedAt?: number;
  /**
   * When the longest wait began, ms (`oldestWaitingSince` over the queue); undefined when nothing is queued. After
   * `now` while all queued work waits out a backoff: the product cannot be late with work it may not run yet.
   */
  oldestWaitingSince?: number;
  expectedFinishIntervalMinutes: number;
  /** Live alerts by severity, the `stalled` alert itself left out (it follows from this rule). */
  openAlerts: Record<AlertSeverity, number>;
  /** By health; `left` ones (stopped on purpose: core/departure) do not make the product degraded. */
  factories: { ok: number; degraded: number; down: number; left?: number };
}

/**
 * When the product counts as stalled at the earliest: 2 × the expected interval after the later of the last finish
 * and the moment the oldest waiting work arrived (work that arrived after the last finish cannot be late before
 * it was there; work in backoff arrives when its backoff ends). Undefined when nothing is queued — an idle product
 * is not stalled; later than `now` while the queue's waits have not begun — the health pass's alarm wakes for it.
 * A whole ms (from whole-ms instants): the first one at which "nothing shipped for 2 × the interval" holds. A
 * threshold in fractions of a minute (settings allow 0.05 min up) made it fractional — 0.0123456 min is 1,481.472 ms
 * — and the health pass stored it as its alarm's deadline.
 */
export function stalledFrom(
  i: Pick<ProductHealthInputs, "lastFinishedAt" | "oldestWaitingSince" | "expectedFinishIntervalMinutes">,
) {
  if (i.oldestWaitingSince === undefined) return undefined;
  const since = Math.max(i.lastFinishedAt ?? i.oldestWaitingSince, i.oldestWaitingSince);
  // `now >= since + d` holds on a ms clock from since + ⌈d⌉ on, not a ms earlier or later.
  return since + Math.ceil(2 * i.expectedFinishIntervalMinutes * MINUTE);
}

/** The product's status at `now`: stalled before degraded before healthy. */
export function productHealth(i: ProductHealthInputs, now: number): ProductStatus {
  const stalledAt = stalledFrom(i);
  if (stalledAt !== undefined && now >= stalledAt) return "stalled";
  const alarming = i.openAlerts.warning + i.openAlerts.critical > 0;
  return alarming || i.factories.degraded + i.factories.down > 0 ? "degraded" : "healthy";
}
