/**
 * @module core/aging
 * The aging bound of the router's urgency order: how long a lower-priority job can be kept waiting by a steady
 * stream of fresh higher-priority ones, derived from the starvation weight and the aging horizon.
 *
 * Urgency (core/router `jobUrgency`) is `P − w·max(0, 1 − age/H)`: priority value P (low 0 … critical 3), starvation
 * weight w (settings.weights.starvation), aging horizon H (settings.agingHorizonMinutes). Take a job L of priority
 * P_L queued at t₀, and a job F of priority P_F = P_L + g (g ≥ 1, the priority gap) queued b ms before `now`, with L
 * of age a > b. While a ≤ H, L is ahead of F exactly when
 *     −w(1 − a/H) > g − w(1 − b/H)   ⟺   a − b > g·H/w =: N.
 * Once a > H, L's urgency stays at P_L, and it is ahead of F exactly when b < H − N.
 * So:
 *   - if w > g, then N < H, and a job L that has waited N + τ is ahead of every job of the higher class younger
 *     than τ (for any τ ≤ H − N); with seats freeing at least every τ and no backlog of older higher-priority
 *     jobs, L is assigned within N + 2τ of being queued (one τ to be ahead, one τ to meet a free seat).
 *   - if w ≤ g, L never gets ahead of a higher job that has waited at all: L's urgency tops out at P_L, while F's
 *     is P_L + g − w(1 − b/H) > P_L for any b > 0 (at w = g, b = 0 it ties, and ties go to the older job). A
 *     steady stream of higher jobs can starve L: there is no bound.
 * `critical` carries no penalty at all (core/router `urgencyAt`): nothing overtakes it, so there is no bound against
 * a stream of critical jobs — by design; critical work is the exception that may even preempt.
 * With the defaults (w = 2.5, H = 30 min — the SPEC's 1.5 was raised so the bound below exists): low over fresh
 * medium and medium over fresh high: N = 12 min; **low under a steady stream of fresh high jobs: N = 24 min**.
 * An operator may set `weights.starvation` ≤ 2 (SPEC §5's own default is 1.5, "tunable per product"): that gives up
 * the low-vs-high bound, and the settings answer says so (`agingGuarantee`, shown by `settings get` and the page).
 * Proved over random arrival streams by test/unit/aging-bound.test.ts.
 */
import type { Priority, RouterWeights } from "./model.ts";
import { PRIORITY_VALUE, STARVATION_HORIZON_MS } from "./router.ts";

/**
 * N (ms): after waiting N, a `lower` job is ahead of any `higher` job queued at least N after it (see the module
 * header). `Infinity` when the weight cannot close the gap (w ≤ gap), and 0 when `lower` is not below `higher`.
 * @param weights the router weights (only `starvation` is read)
 * @param horizonMs the aging horizon H, ms (> 0)
 */
export function agingBoundMs(
  lower: Priority,
  higher: Priority,
  weights: Pick<RouterWeights, "starvation">,
  horizonMs = STARVATION_HORIZON_MS,
): number {
  const gap = PRIORITY_VALUE[higher] - PRIORITY_VALUE[lower];
  if (gap <= 0) return 0;
  if (higher === "critical") return Number.POSITIVE_INFINITY; // critical has no penalty to age past
  if (weights.starvation <= gap) return Number.POSITIVE_INFINITY;
  return (gap / weights.starvation) * horizonMs;
}

/**
 * Whether the bound holds for a dispatch cadence: a `lower` job waits at most `agingBoundMs + 2·cadenceMs` behind
 * a steady stream of fresh `higher` jobs when this is true (w > gap and cadence ≤ H − N).
 */
export function agingBoundHolds(
  lower: Priority,
  higher: Priority,
  weights: Pick<RouterWeights, "starvation">,
  horizonMs: number,
  cadenceMs: number,
): boolean {
  const n = agingBoundMs(lower, higher, weights, horizonMs);
  return Number.isFinite(n) && cadenceMs <= horizonMs - n;
}

/**
 * The widest priority gap aging must close below `critical` (low → high): the starvation weight must be above it for
 * every bound to exist (`agingBoundMs` is finite for each pair exactly then).
 */
export const BOUNDED_ABOVE_WEIGHT = PRIORITY_VALUE.high - PRIORITY_VALUE.low;

/** What the settings answer says of the aging guarantee (README "Aging"): whether it holds, and its bound. */
export interface AgingGuarantee {
  /** Whether a `low` job under a steady stream of fresh `high` jobs is assigned within a bound. */
  holds: boolean;
  /** That bound N, minutes (plus two seat turnovers: the message states the total); null when it does not hold. */
  lowUnderHighMinutes: number | null;
  /** The guarantee holds exactly when `weights.starvation` is above this (BOUNDED_ABOVE_WEIGHT). */
  starvationAbove: number;
  message: string;
}

/** The aging guarantee of `weights.starvation` and `agingHorizonMinutes` (the module header's rule, low vs high). */
export function agingGuarantee(weights: Pick<RouterWeights, "starvation">, horizonMinutes: number): AgingGuarantee {
  const n = agingBoundMs("low", "high", weights, horizonMinutes * 60_000);
  const base = { starvationAbove: BOUNDED_ABOVE_WEIGHT };
  if (!Number.isFinite(n)) {
    return {
      ...base,
      holds: false,
      lowUnderHighMinutes: null,
      message:
        `off: with weights.starvation ${weights.starvation} (at most ${BOUNDED_ABOVE_WEIGHT}, the gap from low to high) a ` +
        `steady stream of high jobs can keep a low job waiting for good; set it above ${BOUNDED_ABOVE_WEIGHT} to bound the wait`,
    };
  }
  const minutes = tenthsOfMinuteAtLeast(n); // rounded up: a bound stated lower than it is would not hold
  const turnover = tenthsOfMinuteAtMost(horizonMinutes * 60_000 - n);
  // N + 2τ (the module header): one turnover for the low job to get ahead, one to meet a free seat. "N plus a seat's
  // turnover" was stated before, and a low job queued just after a seat freed waited 36 min of a stated 24 + 6.
  const total = tenthsOfMinuteAtLeast(n + 2 * turnover * 60_000);
  return {
    ...base,
    holds: true,
    lowUnderHighMinutes: minutes,
    message:
      `a low job under a steady stream of fresh high jobs is assigned within ${minutes} min plus two seat turnovers: ` +
      `at most ${total} min with seats freeing at least every ${turnover} min`,
  };
}

/**
 * The least tenth of a minute whose ms (`m · 60,000`, as a reader computes it) is ≥ `ms`. Rounding `ms / 60,000 · 10`
 * up is not enough: for N = 6,336,000.000000001 ms (w just under 100, H = 5,280 min) the product rounds to exactly
 * 1,056 and 105.6 min was stated, a nanosecond under the bound — so the candidate is checked and stepped.
 */
function tenthsOfMinuteAtLeast(ms: number): number {
  let tenths = Math.ceil(ms / 6_000);
  while ((tenths / 10) * 60_000 < ms) tenths++;
  while (tenths > 0 && ((tenths - 1) / 10) * 60_000 >= ms) tenths--;
  return tenths / 10;
}

/** The greatest tenth of a minute (≥ 0) whose ms is ≤ `ms`: a seat cadence stated no longer than it may be. */
function tenthsOfMinuteAtMost(ms: number): number {
  let tenths = Math.max(0, Math.floor(ms / 6_000));
  while (tenths > 0 && (tenths / 10) * 60_000 > ms) tenths--;
  while (((tenths + 1) / 10) * 60_000 <= ms) tenths++;
  return tenths / 10;
}
