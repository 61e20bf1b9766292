/**
 * @module core/route-evidence
 * What the router adds to its fixed terms from history and operators (issue 11): the learned `track` term of every
 * candidate (core/track-term) and the routing rules that match it (core/routing-rules). Computed once per job over
 * the candidates (router `rankFactories`) and handed to each `scoreCandidate`. The track term is normalised against
 * a median: over the context's fixed reference set when it names one (`TrackContext.referenceOf`), so any subset of
 * candidates gets the same terms; else over the candidates themselves. Pure.
 */
import type { Factory, Job } from "./model.ts";
import type { RouteContext } from "./router.ts";
import { type RuleEvidence, ruleEvidence } from "./routing-rules.ts";
import { classOfJob, NEUTRAL, type TrackEvidence, trackTerms } from "./track-term.ts";

/** Per factory id: the learned term's evidence and, when some rule matches, the rules' evidence. */
export interface RouteEvidence {
  track: Map<string, TrackEvidence>;
  rules: Map<string, RuleEvidence>;
}

/** The evidence of every factory in `factories` for `job` at `ctx.now`. */
export function candidateEvidence(
  job: Job,
  factories: readonly Pick<Factory, "id">[],
  ctx: Pick<RouteContext, "now" | "track" | "rules">,
): RouteEvidence {
  return {
    track: trackTerms(job, factories, ctx.track, ctx.now),
    rules: ruleEvidence(ctx.rules ?? [], factories, job.engine ?? "*", classOfJob(job)),
  };
}

/** The term of a factory with no record at all: exactly neutral, n = 0. */
export function neutralTrack(job: Pick<Job, "requires" | "manifest" | "engine">): TrackEvidence {
  return { raw: NEUTRAL, jobClass: classOfJob(job), engine: job.engine ?? "*", n: 0, effectiveN: 0, neutral: true };
}
