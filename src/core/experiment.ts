/**
 * @module core/experiment
 * Guarded routing experiments (issue 11 part 4; seed 004 phase 5): an A/B between two routing policies for one job
 * class. Pure: assignment, the policy a job is routed by, and the stopping rule on the arms' outcome streams.
 *
 * - Assignment hashes (experiment id, job id) against the split, so a job — and every retry of it — stays in its arm.
 * - An arm's policy is a weights override and/or prefer/avoid rules (core/routing-rules), applied to the ranking of
 *   that job only (`jobContext`). Once the guardrail concludes, the winner's policy routes the whole class until an
 *   operator stops the experiment.
 * - The guardrail: after `minSamples` counted outcomes per arm, every LOOK_EVERY-th outcome is a look; at look k each
 *   direction is tested at α_k/2 (core/sequential-test: Bonferroni alpha spending, α = 1 − confidence), so the chance
 *   that two equal arms are ever stopped is ≤ α. The worse arm loses; the other wins.
 */
import type { Job, RouterWeights } from "./model.ts";
import type { RouteContext } from "./router.ts";
import type { RoutingRule, RuleEffect } from "./routing-rules.ts";
import { type ArmSums, addSample, emptySums, lookAlpha, worseBy } from "./sequential-test.ts";

export type Arm = "A" | "B";
export const ARMS: readonly Arm[] = ["A", "B"];

/** One prefer/avoid of an arm: a routing rule scoped to the experiment's class (engine optional). */
export interface ArmRule {
  factoryId: string;
  engine?: string;
  effect: RuleEffect;
}

/** A routing policy: weights merged over the product's, rules added to the product's. */
export interface ArmPolicy {
  weights?: Partial<RouterWeights>;
  rules?: ArmRule[];
}

/** What a route context's `policyFor` answers for one job: weights merged over its weights, rules added to its rules. */
export interface JobPolicy {
  weights?: Partial<RouterWeights>;
  rules?: readonly RoutingRule[];
  /** Where it comes from, for explain: the experiment, the arm, and whether as the job's arm or the class's winner. */
  source?: PolicySource;
}

/** `as: arm` — the job's own arm of a running experiment; `winner` — the concluded experiment's winning arm. */
export interface PolicySource {
  experimentId: string;
  arm: Arm;
  as: "arm" | "winner";
}

/** `metric`: success_rate (higher is better) or cost (USD per run, lower is better); `margin` in the metric's unit. */
export interface Guardrail {
  metric: "success_rate" | "cost";
  margin: number;
  /** In (0.5, 1): 1 − the false-positive rate over the whole experiment, e.g. 0.95. */
  confidence: number;
}

export interface ExperimentSpec {
  jobClass: string;
  arms: Record<Arm, ArmPolicy>;
  /** Fraction of the class's jobs routed by arm B, in [0, 1]. */
  split: number;
  guardrail: Guardrail;
  /** Counted outcomes each arm needs before the first look. */
  minSamples: number;
}

export interface Decision {
  at: number;
  by: "guardrail" | "operator";
  winner?: Arm;
  loser?: Arm;
  /** When the guardrail decided: the look (1-based), its one-sided level, the z (rate) or Welch t (cost) statistic. */
  look?: number;
  level?: number;
  z?: number;
  reason: string;
}

/** One point of the view's time series: cumulative counts per arm at `at` (ms). */
export interface SeriesPoint {
  at: number;
  A: { n: number; successes: number };
  B: { n: number; successes: number };
}

export interface Experiment extends ExperimentSpec {
  id: string;
  status: "running" | "concluded" | "stopped";
  startedAt: number;
  startedBy: string;
  /** Success sums (x = 1/0) and cost sums (x = USD; only runs that reported a cost) per arm. */
  counts: Record<Arm, { outcomes: ArmSums; cost: ArmSums }>;
  looks: number;
  series: SeriesPoint[];
  decision?: Decision;
}

/** 10: a look per 10 outcomes keeps the number of looks (and so the spent alpha per look) moderate. */
export const LOOK_EVERY = 10;
/** 120 points: the view's chart; when full, every other point is dropped (older history at half resolution). */
export const MAX_SERIES = 120;

/**
 * 32-bit FNV-1a of `s` followed by MurmurHash3's `fmix32` finalizer, as a fraction in [0, 1).
 * Why the finalizer: FNV-1a alone barely moves its high bits on the last characters, so ids that differ only in
 * a suffix (`job-1`, `job-2`, …) landed in one arm far more often than the split said (CI saw 17 % B at split
 * 11 %). fmix32 (Appleby, MurmurHash3) lets every input bit reach every output bit.
 */
function hashFraction(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** The arm of `jobId` in experiment `experimentId`: B with probability `split`, the same on every call. */
export function armOf(experimentId: string, jobId: string, split: number): Arm {
  return hashFraction(`${experimentId}\n${jobId}`) < split ? "B" : "A";
}

/** A fresh running experiment. */
export function newExperiment(id: string, spec: ExperimentSpec, now: number, actor: string): Experiment {
  const arm = () => ({ outcomes: emptySums(), cost: emptySums() });
  return {
    ...spec,
    id,
    status: "running",
    startedAt: now,
    startedBy: actor,
    counts: { A: arm(), B: arm() },
    looks: 0,
    series: [],
  };
}

/** The arm whose policy routes `jobId` now: its own arm while running, the winner once concluded; else none. */
export function routingArm(exp: Experiment, jobId: string): Arm | undefined {
  if (exp.status === "running") return armOf(exp.id, jobId, exp.split);
  if (exp.status === "concluded") return exp.decision?.winner;
  return undefined;
}

/** An arm's rules as routing rules (ids `<experiment>/<arm>/<i>`), scoped to the experiment's class. */
export function armRules(
  exp: Pick<Experiment, "id" | "jobClass" | "arms" | "startedAt" | "startedBy">,
  arm: Arm,
): RoutingRule[] {
  return (exp.arms[arm].rules ?? []).map((r, i) => ({
    id: `${exp.id}/${arm}/${i}`,
    factoryId: r.factoryId,
    ...(r.engine !== undefined ? { engine: r.engine } : {}),
    jobClass: exp.jobClass,
    effect: r.effect,
    reason: `experiment ${exp.id} arm ${arm}`,
    createdAt: exp.startedAt,
    createdBy: exp.startedBy,
  }));
}

/** The route context for ranking `job`: `ctx.policyFor`'s weights and rules applied, the hook removed (idempotent). */
export function jobContext(ctx: RouteContext, job: Pick<Job, "id" | "requires" | "manifest">): RouteContext {
  const { policyFor, ...rest } = ctx;
  const policy = policyFor?.(job);
  if (!policy) return rest;
  return {
    ...rest,
    ...(policy.weights ? { weights: { ...(rest.weights as RouterWeights), ...policy.weights } } : {}),
    rules: [...(rest.rules ?? []), ...(policy.rules ?? [])],
  };
}

/**
 * One counted outcome of a job of arm `arm` at `now`: `ok` the engine's success, `costUsd` the run's cost if known
 * (a non-finite or negative cost is not known: the outcome counts, the cost does not).
 * A running experiment's counts grow; at a look, the guardrail may conclude it. Others are returned unchanged.
 */
export function observe(exp: Experiment, arm: Arm, ok: boolean, costUsd: number | undefined, now: number): Experiment {
  if (exp.status !== "running") return exp;
  const mine = exp.counts[arm];
  const counts = {
    ...exp.counts,
    [arm]: {
      outcomes: addSample(mine.outcomes, ok ? 1 : 0),
      cost: countableCost(costUsd) ? addSample(mine.cost, costUsd) : mine.cost,
    },
  } as Experiment["counts"];
  const point: SeriesPoint = {
    at: now,
    A: { n: counts.A.outcomes.n, successes: counts.A.outcomes.sum },
    B: { n: counts.B.outcomes.n, successes: counts.B.outcomes.sum },
  };
  let series = [...exp.series, point];
  if (series.length > MAX_SERIES) series = series.filter((_, i) => i % 2 === 1 || i === series.length - 1);
  const next: Experiment = { ...exp, counts, series };
  const total = counts.A.outcomes.n + counts.B.outcomes.n;
  const key = exp.guardrail.metric === "cost" ? "cost" : "outcomes";
  if (Math.min(counts.A[key].n, counts.B[key].n) < exp.minSamples || total % LOOK_EVERY !== 0) return next;
  const look = exp.looks + 1;
  next.looks = look;
  const level = lookAlpha(1 - exp.guardrail.confidence, look) / 2;
  for (const [loser, winner] of [
    ["B", "A"],
    ["A", "B"],
  ] as const) {
    const t = worseBy(counts[loser][key], counts[winner][key], exp.guardrail.metric, exp.guardrail.margin, level);
    if (!t.reject) continue;
    next.status = "concluded";
    next.decision = {
      at: now,
      by: "guardrail",
      winner,
      loser,
      look,
      level,
      // Two constant arms give t = ±∞, which JSON would store as null: the statistic is left out then.
      ...(Number.isFinite(t.z) ? { z: t.z } : {}),
      reason: `arm ${loser} ${describe(exp.guardrail)}`,
    };
    break;
  }
  return next;
}

/** A cost the cost statistics may count: a finite, non-negative number of USD (NaN would poison every sum after it). */
export function countableCost(costUsd: number | undefined): costUsd is number {
  return typeof costUsd === "number" && Number.isFinite(costUsd) && costUsd >= 0;
}

function describe(g: Guardrail): string {
  const what =
    g.metric === "cost" ? `costs more than ${g.margin} USD per run above` : `succeeds more than ${g.margin} below`;
  return `${what} the other arm at ${g.confidence} confidence`;
}
