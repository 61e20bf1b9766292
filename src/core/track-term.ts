/**
 * @module core/track-term
 * The router's learned term (issue 11 part 2, seed 004 phase 5): how much expected success a factory's track record
 * for this job's (engine, class) buys per dollar or per minute, relative to the other candidates. Pure; `now` (ms)
 * is a parameter.
 *
 * value = posterior success rate ÷ mean cost (USD) — or ÷ mean duration (min) for `success_per_minute`. When not
 * every sampled candidate has the unit (a cost never reported), value = success rate alone, so candidates are always
 * compared on one scale. raw = value / (value + reference), the reference being the median value of the reference
 * set's factories with at least `minSamples` runs (`TrackContext.referenceOf`: fixed per job, not the candidates of
 * one ranking, so a subset ranks as the whole fleet would): the median scores 0.5, a better one up to 1, a worse
 * one down to 0; the unit test (every sampled factory has the unit) is read over the same set.
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
  /**
   * The factories the term of `job` is normalised against: a set fixed for the job whoever is free, connected or
   * asking — the coordinator's is every enrolled factory capable of the job with a record for it (policies/
   * track-records `trackContext`) — so push dispatch ranking the free few, a claim scoring one factory, explain and
   * the waiting reason ranking the fleet all give a factory the same term. Absent: the candidates ranked together.
   */
  referenceOf?: (job: Pick<Job, "requires" | "manifest" | "engine">) => readonly string[];
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

/** The evidence of one factory's record as seen at `now`, and whether it has enough runs to be weighed. */
function evidenceOf(
  id: string,
  key: { engine: string; jobClass: string },
  track: TrackContext | undefined,
  now: number,
): { ev: TrackEvidence; sampled: boolean } {
  const stored = track?.recordOf(id, key.engine, key.jobClass);
  const r = stored ? decayTo(stored, now) : undefined;
  const weight = r ? wholeRuns(effectiveN(r)) : 0;
  const ev: TrackEvidence = { raw: NEUTRAL, ...key, n: r?.n ?? 0, effectiveN: weight, neutral: true };
  if (!r) return { ev, sampled: false };
  ev.successRate = successRate(r);
  ev.ci95 = successInterval(r);
  if (r.costUsd.w > 0) ev.costUsd = r.costUsd.mean;
  if (r.durationMs.w > 0) ev.durationMinutes = r.durationMs.mean / 60_000;
  return { ev, sampled: weight >= (track?.minSamples ?? Number.POSITIVE_INFINITY) };
}

/**
 * The track term of every factory for `job` at `now`, keyed by factory id. The scale (per unit or rate alone) and
 * the median are read over the reference set (`track.referenceOf`, else the candidates); a candidate outside it is
 * neutral.
 */
export function trackTerms(
  job: Pick<Job, "requires" | "manifest" | "engine">,
  factories: readonly Pick<Factory, "id">[],
  track: TrackContext | undefined,
  now: number,
): Map<string, TrackEvidence> {
  const key = { engine: job.engine ?? "*", jobClass: classOfJob(job) };
  const out = new Map<string, TrackEvidence>();
  for (const f of factories) out.set(f.id, evidenceOf(f.id, key, track, now).ev);
  if (!track) return out;
  const ids = track.referenceOf?.(job) ?? factories.map((f) => f.id);
  const sampled = new Map<string, TrackEvidence>();
  for (const id of new Set(ids)) {
    const { ev, sampled: weighed } = evidenceOf(id, key, track, now);
    if (weighed) sampled.set(id, ev);
  }
  if (sampled.size === 0) return out;
  const perUsd = track.objective === "success_per_usd";
  const unitOf = (ev: TrackEvidence): number | undefined => (perUsd ? ev.costUsd : ev.durationMinutes);
  const allHaveUnit = [...sampled.values()].every((ev) => unitOf(ev) !== undefined);
  const value = (ev: TrackEvidence): number => {
    const p = ev.successRate ?? NEUTRAL;
    return allHaveUnit ? p / Math.max(unitOf(ev) ?? 0, perUsd ? EPS_USD : EPS_MIN) : p;
  };
  const reference = median([...sampled.values()].map(value));
  for (const [id, ev] of out) {
    if (!sampled.has(id)) continue;
    const v = value(ev);
    ev.raw = v + reference > 0 ? v / (v + reference) : NEUTRAL;
    ev.neutral = false;
  }
  return out;
}
