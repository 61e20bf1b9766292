/**
 * @module core/track-record
 * Decayed track records per (factory, engine, job class) — issue 11 part 1, seed 004 phase 5 ("routing that learns
 * from outcomes"). Pure: `now` (ms) is always a parameter, so a record rebuilt from history by replaying the runs — in
 * any order (`addOutcome`) — equals the one kept live.
 *
 * Every statistic decays with one half-life: a run `HALF_LIFE_MS` old counts half as much as one that just ended.
 * - success rate: successes `s` and failures `f` (decayed weights) under a Beta(a, b) prior; the posterior mean is
 *   `(s + a) / (s + f + a + b)`, always in (0, 1).
 * - duration (ms) and cost (USD): an exponentially-weighted mean and variance (West's weighted incremental update),
 *   the cost only over runs that reported one.
 * `n` is the plain count of runs ever counted; `effectiveN` is the decayed one (successes + failures) — what every
 * minimum-sample gate reads, so 9 runs from last winter and one failure today are one run's evidence, not ten.
 */

/** 7 days: a host's behaviour a week ago still says something; a month-old failure streak should not haunt it. */
export const HALF_LIFE_MS = 7 * 24 * 3_600_000;

/** Beta(1, 1): the uniform prior — one imagined success and one imagined failure before any evidence. */
export const PRIOR = Object.freeze({ a: 1, b: 1 });

/** An exponentially-weighted mean and variance: `w` the decayed weight, `m2` the weighted sum of squared deviations. */
export interface Ewm {
  w: number;
  mean: number;
  m2: number;
}

export interface TrackRecord {
  /** Decayed successes and failures. */
  successes: number;
  failures: number;
  /** Runs counted, undecayed. */
  n: number;
  /** Wall time of counted runs, ms. */
  durationMs: Ewm;
  /** Reported cost of counted runs, USD (only runs that reported one). */
  costUsd: Ewm;
  /** When the record was last updated, ms epoch (decay runs from here). */
  updatedAt: number;
}

/**
 * One counted run's outcome: `ok` for success, else the engine's failure; `durationMs` (a negative one counts as 0);
 * `costUsd` if reported. A non-finite duration or cost is not a measurement: the outcome counts, the number does not.
 */
export interface Outcome {
  ok: boolean;
  durationMs: number;
  costUsd?: number;
}

export const EMPTY_EWM: Readonly<Ewm> = Object.freeze({ w: 0, mean: 0, m2: 0 });

export function emptyRecord(now: number): TrackRecord {
  return { successes: 0, failures: 0, n: 0, durationMs: { ...EMPTY_EWM }, costUsd: { ...EMPTY_EWM }, updatedAt: now };
}

/** The decay factor over `elapsedMs` (≤ 0 → 1): 2^(−elapsed / halfLife), in (0, 1], non-increasing in elapsed time. */
export function decayFactor(elapsedMs: number, halfLifeMs: number = HALF_LIFE_MS): number {
  return elapsedMs <= 0 ? 1 : 2 ** (-elapsedMs / halfLifeMs);
}

/**
 * Adds sample `x` with weight `wx` (default 1; in (0, 1]) to `e` after decaying it by `d` (West's weighted update:
 * the result does not depend on the order samples come in). The mean stays between the old mean and `x`.
 */
export function ewmAdd(e: Ewm, x: number, d: number, wx = 1): Ewm {
  const w0 = e.w * d;
  const w = w0 + wx;
  const delta = x - e.mean;
  const raw = w0 === 0 ? x : e.mean + (wx * delta) / w;
  const mean = Math.min(Math.max(raw, Math.min(e.mean, x)), Math.max(e.mean, x)); // float noise never escapes
  return { w, mean, m2: Math.max(0, e.m2 * d + wx * delta * (x - mean)) };
}

/** The weighted variance of `e` (0 with no samples), never negative. */
export const ewmVariance = (e: Ewm): number => (e.w > 0 ? Math.max(0, e.m2 / e.w) : 0);

/**
 * The record after one more run ended at `now`. A run that ended before `updatedAt` (a rebuild reads its chunks by
 * start, so a long run may be folded before shorter ones that ended earlier) counts with the weight its age has at
 * `updatedAt`, not as one just ended: any order of the same outcomes gives the record of their order of end.
 */
export function addOutcome(r: TrackRecord, o: Outcome, now: number, halfLifeMs: number = HALF_LIFE_MS): TrackRecord {
  const d = decayFactor(now - r.updatedAt, halfLifeMs);
  const wx = decayFactor(r.updatedAt - now, halfLifeMs);
  return {
    successes: r.successes * d + (o.ok ? wx : 0),
    failures: r.failures * d + (o.ok ? 0 : wx),
    n: r.n + 1,
    // A non-finite duration or cost (NaN, ±Infinity) would poison its mean for good: not counted (the outcome still
    // is), as core/experiment countableCost. `Math.max(0, NaN)` is NaN, so the clamp alone let a NaN duration in.
    durationMs: Number.isFinite(o.durationMs)
      ? ewmAdd(r.durationMs, Math.max(0, o.durationMs), d, wx)
      : decayEwm(r.durationMs, d),
    costUsd:
      o.costUsd !== undefined && Number.isFinite(o.costUsd) && o.costUsd >= 0
        ? ewmAdd(r.costUsd, o.costUsd, d, wx)
        : decayEwm(r.costUsd, d),
    updatedAt: Math.max(now, r.updatedAt),
  };
}

const decayEwm = (e: Ewm, d: number): Ewm => ({ w: e.w * d, mean: e.mean, m2: e.m2 * d });

/**
 * The record as seen at `now`: every weight decayed to then (n and the means unchanged), and `updatedAt` moved to
 * `now` with them — a view decayed again, or given one more outcome, then decays only from `now`: keeping the old
 * `updatedAt` on decayed weights decayed the first stretch twice.
 */
export function decayTo(r: TrackRecord, now: number, halfLifeMs: number = HALF_LIFE_MS): TrackRecord {
  const d = decayFactor(now - r.updatedAt, halfLifeMs);
  return {
    ...r,
    successes: r.successes * d,
    failures: r.failures * d,
    durationMs: decayEwm(r.durationMs, d),
    costUsd: decayEwm(r.costUsd, d),
    updatedAt: Math.max(now, r.updatedAt),
  };
}

/** The effective sample size of a (decayed) record: its runs' decayed weight, successes + failures; ≤ `n`. */
export const effectiveN = (r: Pick<TrackRecord, "successes" | "failures">): number => r.successes + r.failures;

/**
 * A decayed weight as whole runs, for a minimum-sample gate and the "n=" beside it: rounded to the nearest run, so
 * ten runs over the last hour (weight ≈ 9.98) still count as ten, and the gate and the number shown always agree.
 */
export const wholeRuns = (weight: number): number => Math.round(weight);

/** Posterior mean success rate under the Beta prior, in (0, 1). */
export function successRate(r: Pick<TrackRecord, "successes" | "failures">, prior = PRIOR): number {
  return (r.successes + prior.a) / (r.successes + r.failures + prior.a + prior.b);
}

/**
 * A 95 % credible interval of the success rate (normal approximation to the Beta posterior), clipped to [0, 1]:
 * what explain shows as the term's confidence — narrow with many recent runs, wide with few or old ones.
 */
export function successInterval(r: Pick<TrackRecord, "successes" | "failures">, prior = PRIOR): [number, number] {
  const a = r.successes + prior.a;
  const b = r.failures + prior.b;
  const p = a / (a + b);
  const half = 1.96 * Math.sqrt((p * (1 - p)) / (a + b + 1));
  return [Math.max(0, p - half), Math.min(1, p + half)];
}

/**
 * The job class of a job: its sorted, de-duplicated `requires` joined by `,` and, when the manifest names one,
 * `class:<label>` after a `|` — e.g. `lang:rust,os:linux|class:docs`, `class:docs`; `-` for a job with neither.
 */
export function jobClassOf(requires: readonly string[], label?: string): string {
  const caps = [...new Set(requires)].sort().join(",");
  const parts = [caps, label === undefined ? "" : `class:${label}`].filter((x) => x !== "");
  return parts.length ? parts.join("|") : "-";
}

/**
 * A job class as an operator typed it (`os:linux,lang:rust`) in the spelling `jobClassOf` gives jobs
 * (`lang:rust,os:linux`): capabilities sorted and unique, the `class:` label kept last. Rules and experiments are
 * stored in it, so a class spelled another way still matches its jobs and is seen as the same class. Pure.
 */
export function canonicalJobClass(text: string): string {
  const [head = "", ...rest] = text.split("|");
  if (text === "-" || head.startsWith("class:")) return text;
  const caps = [...new Set(head.split(",").filter((c) => c !== ""))].sort().join(",");
  return [caps, ...rest].filter((x) => x !== "").join("|");
}
