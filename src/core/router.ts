/**
 * @module core/router
 * The scoring router (SPEC §5): filter → score → rank, pure and deterministic.
 * The same function answers "where should this job go?" (push dispatch),
 * "which job should this factory take?" (HTTP pull-claims) and "why?" (the
 * explain panel reads the per-term breakdown in `Candidate.terms`). Nothing here
 * reads a clock: `now` is always passed in, so a decision can be replayed.
 */
import { jobContext } from "./experiment.ts";
import { closedBeforeTrial, runWouldBeTrial } from "./half-open-trial.ts";
import type { Factory, Job, Priority, RouterWeights } from "./model.ts";
import { candidateEvidence, neutralTrack, type RouteEvidence } from "./route-evidence.ts";
import { activeExclusion, effectiveRequires, filterReasons } from "./route-filter.ts";
import type { Candidate, RouteContext, TermScore } from "./route-types.ts";
import { NEUTRAL } from "./track-term.ts";

/**
 * SPEC §5 defaults, but for starvation: 2.5, not the SPEC's 1.5. Starvation outweighs every single positive term so
 * aging really reorders work, and it must exceed the priority gap of 2 between `low` and `high` for a low job to
 * overtake a steady stream of fresh high ones at all (core/aging: N = 2·30/2.5 = 24 min); at 1.5 it never does.
 */
export const DEFAULT_WEIGHTS: Readonly<RouterWeights> = Object.freeze({
  capabilityFit: 1.0,
  affinity: 0.5,
  load: 1.0,
  costFit: 0.75,
  health: 1.0,
  starvation: 2.5,
  // 1: the learned term moves a score by at most ±0.5 — a tie-breaker between similar hosts, not an override.
  track: 1,
});

/** 30 min: the seed's "aging fully de-penalises after ~30 min" (seed 004 §7). */
export const STARVATION_HORIZON_MS = 30 * 60 * 1000;

/** One step per priority; with starvation weight 1.5, 30 min of waiting is worth 1.5 priority steps. */
export const PRIORITY_VALUE: Readonly<Record<Priority, number>> = Object.freeze({
  critical: 3,
  high: 2,
  medium: 1,
  low: 0,
});

// The hard filter lives in core/route-filter; re-exported so callers keep one import for the router.
export { activeExclusion, breakerBlocks, effectiveRequires, filterReasons } from "./route-filter.ts";

export type { Candidate, RouteContext, TermScore } from "./route-types.ts";

const TERMS = ["capabilityFit", "affinity", "load", "costFit", "health", "starvation", "track"] as const;

/** Scores are compared at 1e-9 so float noise in a sum of six products cannot flip an order. */
const round9 = (x: number): number => Math.round(x * 1e9) / 1e9;
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0); // code-unit order, locale-free

/** 1 for a job that just entered `queued`, falling linearly to 0 after `horizonMs` (default 30 min; ≤ 0 = no penalty). */
export function starvationPenalty(ageMs: number, horizonMs: number = STARVATION_HORIZON_MS): number {
  if (!(horizonMs > 0)) return 0;
  return Math.max(0, 1 - Math.max(0, ageMs) / horizonMs);
}

function rawTerms(
  job: Job,
  factory: Factory,
  now: number,
  horizonMs: number | undefined,
  track: number,
): Record<keyof RouterWeights, number> {
  const caps = new Set(factory.capabilities);
  // A tight fit beats an over-provisioned box, so specialised hosts stay free for work only they can do.
  const capabilityFit = Math.min(1, (1 + effectiveRequires(job).length) / (1 + caps.size));
  const affinity = job.prefers.length ? job.prefers.filter((p) => caps.has(p)).length / job.prefers.length : 0;
  const tier = factory.capabilities.find((c) => c.startsWith("cost:"))?.slice("cost:".length) ?? "medium";
  // Only a job with a USD budget cares what the host costs: low 1, high 0, anything else counts as medium (0.5).
  const costFit = job.budget.usd === undefined ? 1 : tier === "low" ? 1 : tier === "high" ? 0 : 0.5;
  // Degraded (late heartbeats, or leases let expire again and again) counts half: usable, but less likely to finish; down is filtered before it matters.
  const health = factory.health === "ok" ? 1 : factory.health === "degraded" ? 0.5 : 0;
  const starvation = starvationPenalty(now - job.queuedAt, horizonMs);
  return { capabilityFit, affinity, load: 1 / (1 + factory.load), costFit, health, starvation, track };
}

/**
 * Filters and scores one factory for one job, with the term-by-term breakdown the explain panel shows. `evidence`:
 * the learned term and rules computed over all candidates (rankFactories); alone, the factory is its own reference.
 */
export function scoreCandidate(job: Job, factory: Factory, outer: RouteContext, given?: RouteEvidence): Candidate {
  const ctx = jobContext(outer, job);
  const evidence = given ?? candidateEvidence(job, [factory], ctx);
  const weights = { ...DEFAULT_WEIGHTS, ...ctx.weights };
  const trackEv = evidence.track.get(factory.id) ?? neutralTrack(job);
  const raw = rawTerms(job, factory, ctx.now, ctx.agingHorizonMs, trackEv.raw);
  const terms = {} as Record<keyof RouterWeights, TermScore>;
  let score = 0;
  for (const term of TERMS) {
    const product = weights[term] * (term === "track" ? raw[term] - NEUTRAL : raw[term]);
    const contribution = term === "starvation" ? 0 - product : product + 0; // never -0 in the breakdown
    terms[term] = { raw: raw[term], weight: weights[term], contribution };
    score += contribution;
  }
  const rules = evidence.rules.get(factory.id);
  if (rules) score += rules.adjustment;
  const reasons = filterReasons(job, factory, ctx);
  const base = { factoryId: factory.id, factoryName: factory.name };
  const candidate: Candidate = {
    ...base,
    eligible: reasons.length === 0,
    reasons,
    score: round9(score),
    terms,
    track: trackEv,
  };
  if (rules) candidate.rules = rules;
  if (runWouldBeTrial(job, factory, ctx)) candidate.trial = true; // ranked after every closed one (core/half-open-trial)
  const exclusion = activeExclusion(job, factory, ctx);
  if (exclusion) candidate.exclusion = { kind: exclusion.kind, strikes: exclusion.strikes, until: exclusion.until };
  return candidate;
}

/**
 * Eligible factories best-first — closed breakers before a half-open one's trial (core/half-open-trial), then score
 * desc, then lower load, then id asc — and the rejected ones by id.
 */
export function rankFactories(
  job: Job,
  factories: readonly Factory[],
  outer: RouteContext,
): { ranked: Candidate[]; rejected: Candidate[] } {
  const ctx = jobContext(outer, job);
  const load = new Map(factories.map((f) => [f.id, f.load]));
  const evidence = candidateEvidence(job, factories, ctx);
  const all = factories.map((f) => scoreCandidate(job, f, ctx, evidence));
  const ranked = all
    .filter((c) => c.eligible)
    .sort(
      (a, b) =>
        closedBeforeTrial(a, b) ||
        b.score - a.score ||
        (load.get(a.factoryId) ?? 0) - (load.get(b.factoryId) ?? 0) ||
        byId(a.factoryId, b.factoryId),
    );
  const rejected = all.filter((c) => !c.eligible).sort((a, b) => byId(a.factoryId, b.factoryId));
  return { ranked, rejected };
}

/** Priority minus the (weighted) starvation penalty: an aged low job overtakes a fresh medium one. `horizonMs`: aging horizon. */
export function jobUrgency(
  job: Job,
  now: number,
  weights: RouterWeights = DEFAULT_WEIGHTS,
  horizonMs: number = STARVATION_HORIZON_MS,
): number {
  return urgencyAt(PRIORITY_VALUE[job.priority], now - job.queuedAt, weights.starvation, horizonMs);
}

/**
 * Urgency from a priority value (PRIORITY_VALUE), an age in the queue (ms), the starvation weight and the aging
 * horizon (ms): `P − w·starvationPenalty(age)`, except that `critical` carries no penalty — an incident's job is
 * never queued behind aged lower work (it may even preempt running work), so aging reorders only the other classes.
 */
export function urgencyAt(priorityValue: number, ageMs: number, weight: number, horizonMs: number): number {
  if (priorityValue >= PRIORITY_VALUE.critical) return priorityValue;
  return round9(priorityValue - weight * starvationPenalty(ageMs, horizonMs));
}

/** A new array, most urgent first; ties go to the job queued earlier, then to the lower id. `horizonMs`: aging horizon. */
export function orderJobs(
  jobs: readonly Job[],
  now: number,
  weights: RouterWeights = DEFAULT_WEIGHTS,
  horizonMs: number = STARVATION_HORIZON_MS,
): Job[] {
  const urgency = new Map(jobs.map((j) => [j, jobUrgency(j, now, weights, horizonMs)]));
  return [...jobs].sort(
    (a, b) => (urgency.get(b) ?? 0) - (urgency.get(a) ?? 0) || a.queuedAt - b.queuedAt || byId(a.id, b.id),
  );
}

/**
 * Greedy dispatch plan for one tick: queued jobs in urgency order, each to its best
 * factory, counting seats this plan already took as load and serial keys it already
 * planned as busy. Never mutates its inputs.
 */
export function planAssignments(
  jobs: readonly Job[],
  factories: readonly Factory[],
  ctx: RouteContext,
): Array<{ jobId: string; factoryId: string; score: number }> {
  const taken = new Map<string, number>();
  const busy = new Set(ctx.busySerialKeys ?? []);
  const plan: Array<{ jobId: string; factoryId: string; score: number }> = [];
  const queued = jobs.filter((j) => j.stage === "queued");
  for (const job of orderJobs(queued, ctx.now, ctx.weights, ctx.agingHorizonMs)) {
    const views = factories.map((f) => ({ ...f, load: f.load + (taken.get(f.id) ?? 0) }));
    const best = rankFactories(job, views, { ...ctx, busySerialKeys: busy }).ranked[0];
    if (!best) continue;
    plan.push({ jobId: job.id, factoryId: best.factoryId, score: best.score });
    taken.set(best.factoryId, (taken.get(best.factoryId) ?? 0) + 1);
    if (job.serialKey !== undefined) busy.add(job.serialKey);
  }
  return plan;
}
