/**
 * @module core/track-term
 * The router's learned term (issue 11 part 2, seed 004 phase 5): how much expected success a factory's track record
 * for this job's (engine, class) buys per dollar or per minute, relative to the other candidates. Pure; `now` (ms)
 * is a parameter.
 *
 * value = posterior success rate ÷ mean cost (USD) — or ÷ mean duration (min) for `success_per_minute`. When not
 * every sampled candidate has the unit (a cost never reported), value = success rate alone, so candidates are always
 * compared on one scale. raw = value / (value + reference), the reference being the median value of the candidates
 * with at least `minSamples` runs: the median candidate scores 0.5, a better one up to 1, a worse one down to 0.
 * A candidate below `minSamples` scores exactly NEUTRAL (0.5) — no cold-start penalty — and the router weighs the
 * term as `weight × (raw − 0.5)`, so neutral adds nothing and the term is bounded by ±weight/2. Runs are counted
 * decayed (core/track-record `effectiveN`, in whole runs): four runs from last winter and one failure today are one
 * run's evidence, below any sensible `minSamples`, not five.
 */
import type { Factory, Job } from "./model.ts";
import {
  decayTo,
  effectiveN,
  jobClassOf,
  successInterval,
  successRate,
  type TrackRecord,
  wholeRuns,
} from "./track-record.ts";

export const NEUTRAL = 0.5;

/** 5 runs: below this a success rate is mostly prior (Beta(1,1) after 4 runs still spans ±0.35). */
export const DEFAULT_MIN_SAMPLES = 5;

export type RoutingObjective = "success_per_usd" | "success_per_minute";

/** What the router needs to weigh track records; absent = the term is neutral for everyone. */
export interface TrackContext {
  objective: RoutingObjective;
  minSamples: number;
  /** The record of (factory, engine — `*` when the job names none, job class), if any. */
  recordOf: (factoryId: string, engine: string, jobClass: string) => TrackRecord | undefined;
}

/** The term of one candidate as explain shows it. */
export interface TrackEvidence {
  /** In [0, 1]; NEUTRAL when `effectiveN < minSamples`. */
  raw: number;
  jobClass: string;
  engine: string;
  /** Runs counted (undecayed). */
  n: number;
  /**
   * Their decayed weight in whole runs (core/track-record `wholeRuns`): what `minSamples` is compared with. Always
   * set by the router; optional so an explain answer recorded before it existed still parses as one.
   */
  effectiveN?: number;
  neutral: boolean;
  /** Posterior success rate and its 95 % credible interval (the confidence), when there is a record. */
  successRate?: number;
  ci95?: [number, number];
  /** Mean cost (USD) and duration (min) of counted runs, when known. */
  costUsd?: number;
  durationMinutes?: number;
}

/** The class key of a job (core/track-record `jobClassOf`). */
export const classOfJob = (job: Pick<Job, "requires" | "manifest">): string =>
  jobClassOf(job.requires, job.manifest?.class);

const EPS_USD = 0.001; // a tenth of a cent: a free run must not divide by zero
const EPS_MIN = 1 / 60; // one second

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The track term of every factory for `job` at `now`, keyed by factory id. */
export function trackTerms(
  job: Pick<Job, "requires" | "manifest" | "engine">,
  factories: readonly Pick<Factory, "id">[],
  track: TrackContext | undefined,
  now: number,
): Map<string, TrackEvidence> {
  const jobClass = classOfJob(job);
  const engine = job.engine ?? "*";
  const out = new Map<string, TrackEvidence>();
  const sampled: Array<{ id: string; r: TrackRecord }> = [];
  for (const f of factories) {
    const stored = track?.recordOf(f.id, engine, jobClass);
    const r = stored ? decayTo(stored, now) : undefined;
    const weight = r ? wholeRuns(effectiveN(r)) : 0;
    const ev: TrackEvidence = { raw: NEUTRAL, jobClass, engine, n: r?.n ?? 0, effectiveN: weight, neutral: true };
    if (r) {
      ev.successRate = successRate(r);
      ev.ci95 = successInterval(r);
      if (r.costUsd.w > 0) ev.costUsd = r.costUsd.mean;
      if (r.durationMs.w > 0) ev.durationMinutes = r.durationMs.mean / 60_000;
      if (weight >= (track?.minSamples ?? Number.POSITIVE_INFINITY)) sampled.push({ id: f.id, r });
    }
    out.set(f.id, ev);
  }
  if (!track || sampled.length === 0) return out;
  const perUsd = track.objective === "success_per_usd";
  const unitOf = (id: string): number | undefined => {
    const ev = out.get(id);
    return perUsd ? ev?.costUsd : ev?.durationMinutes;
  };
  const allHaveUnit = sampled.every((s) => unitOf(s.id) !== undefined);
  const value = (id: string): number => {
    const p = out.get(id)?.successRate ?? NEUTRAL;
    return allHaveUnit ? p / Math.max(unitOf(id) ?? 0, perUsd ? EPS_USD : EPS_MIN) : p;
  };
  const reference = median(sampled.map((s) => value(s.id)));
  for (const s of sampled) {
    const ev = out.get(s.id) as TrackEvidence;
    const v = value(s.id);
    ev.raw = v + reference > 0 ? v / (v + reference) : NEUTRAL;
    ev.neutral = false;
  }
  return out;
}
