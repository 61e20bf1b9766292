/**
 * @module core/route-types
 * The shapes the scoring router (core/router) reads and answers: its route context (the clock, weights, gates,
 * breakers, exclusions and learned evidence of one decision), a term's score and a scored candidate. Split from
 * core/router so the rules stay in one file under the size limit; core/router re-exports them.
 */
import type { BudgetPause } from "./budget-pause.ts";
import type { Exclusion } from "./exclusions.ts";
import type { JobPolicy } from "./experiment.ts";
import type { Job, RouterWeights } from "./model.ts";
import type { BreakerDetail } from "./route-filter.ts";
import type { RoutingRule, RuleEvidence } from "./routing-rules.ts";
import type { TrackContext, TrackEvidence } from "./track-term.ts";

export interface RouteContext {
  now: number;
  weights?: RouterWeights;
  busySerialKeys?: ReadonlySet<string>;
  frozenSerialKeys?: ReadonlySet<string>;
  budgetPaused?: boolean;
  budgetPause?: BudgetPause | null; // while budgetPaused: who, spend, end (core/budget-pause); null: no budget set
  /** `${factoryId}:${engine}` of every open circuit breaker (engine `*`: the factory's default, core/breaker). */
  openBreakers?: ReadonlySet<string>;
  /** `hold`: while a breaker of a job's engine is open where it could run (route-filter), none takes it; `route`: others may. */
  overflow?: "route" | "hold";
  /**
   * Every breaker not closed by its key — `openBreakers`' and the half-open ones with no trial out, whose factory a
   * run would be the trial of (core/half-open-trial) — until when, its trial, its factory (core/route-filter).
   */
  breakers?: ReadonlyMap<string, BreakerDetail>;
  /** The remembered exclusion of a job for a factory (core/exclusions), if any; in force while `now < until`. */
  exclusionOf?: (jobId: string, factoryId: string) => Exclusion | undefined;
  /** Aging horizon, ms: after this long in the queue a job's starvation penalty is gone (settings.agingHorizonMinutes). */
  agingHorizonMs?: number;
  /** Track records and the objective of the learned term (core/track-term); absent = the term is neutral. */
  track?: TrackContext;
  /** Operator routing rules (core/routing-rules): score adjustments, never filters. */
  rules?: readonly RoutingRule[];
  /** A job's own routing policy (a guarded experiment's arm, core/experiment): weights and rules over the above. */
  policyFor?: (job: Pick<Job, "id" | "requires" | "manifest">) => JobPolicy | undefined;
}

export interface TermScore {
  raw: number;
  weight: number;
  /** weight × raw; negative for starvation, which is subtracted; weight × (raw − 0.5) for track (neutral adds 0). */
  contribution: number;
}

export interface Candidate {
  factoryId: string;
  factoryName: string;
  eligible: boolean;
  /** Every filter the factory failed (empty when eligible). */
  reasons: string[];
  score: number;
  terms: Record<keyof RouterWeights, TermScore>;
  /** Present when an exclusion keeps this job from this factory now: why, how often, and until when (ms). */
  exclusion?: Pick<Exclusion, "kind" | "strikes" | "until">;
  /** The learned term's evidence: job class, engine, n, success rate with its 95 % interval, cost, duration. */
  track: TrackEvidence;
  /** The routing rules that match this candidate and their adjustment (already in `score`), if any. */
  rules?: RuleEvidence;
  /**
   * Set when a run here would be the factory's half-open breaker trial (core/half-open-trial): ranked after every
   * closed candidate that is eligible, whatever its score.
   */
  trial?: true;
}
