/**
 * @module core/half-open-trial
 * Where a half-open circuit breaker's one trial run may go (SPEC §6; core/breaker): only to work no closed host can
 * take now. A half-open breaker with no trial out passes the router's hard filter (it must, or it never closes), and
 * its idle factory's load term (1/(1+load)) often scored it first: a recovered critical job went to the flaky host
 * as its trial while a closed host had two free seats, and the failed trial spent one of the job's attempts. As in
 * Hystrix and resilience4j, the trial is a probe of the engine, not the job's best route: it is taken only when the
 * job had no healthy path. So a trial candidate ranks after every closed candidate that passes the filter (score
 * unchanged, so explain's terms still add up), and a job goes to it only when none does — a full, down or
 * incapable closed fleet — which is also what keeps the breaker able to get its trial and close.
 */
import { DEFAULT_ENGINE } from "./breaker.ts";
import type { Factory, Job } from "./model.ts";
import type { RouteContext } from "./route-types.ts";

/** What explain and the waiting words say of a trial candidate. */
export const TRIAL_ONLY_WORDS = "half-open: trial only when no closed host can take it";

/**
 * True when a run of `job` on `factory` at `ctx.now` would be that factory's breaker trial: its breaker of the job's
 * engine (`*` when the job names none) is half-open (`ctx.breakers` has it, its `openUntil` ≤ `now`, ms epoch) and
 * not blocking (`ctx.openBreakers` lacks it: no trial out yet). False for a closed, open or trial-out breaker.
 */
export function runWouldBeTrial(
  job: Pick<Job, "engine">,
  factory: Pick<Factory, "id">,
  ctx: Pick<RouteContext, "now" | "openBreakers" | "breakers">,
): boolean {
  const key = `${factory.id}:${job.engine ?? DEFAULT_ENGINE}`;
  const detail = ctx.breakers?.get(key);
  return detail !== undefined && ctx.now >= detail.openUntil && !(ctx.openBreakers?.has(key) ?? false);
}

/**
 * Rank order between two candidates by breaker: a closed one (`trial` unset) before a trial one; 0 when both are
 * alike, so the score decides. For `Array.prototype.sort` before the score comparison (core/router `rankFactories`).
 */
export function closedBeforeTrial(a: { trial?: true }, b: { trial?: true }): number {
  return (a.trial ? 1 : 0) - (b.trial ? 1 : 0);
}

/**
 * For a pull claim (no ranking across hosts): true when `claimant`'s run of `job` would be its breaker's trial while
 * some other factory of `others` that is not on a trial itself passes the hard filter for the job now (`eligible`:
 * core/router `scoreCandidate`) — that host should run it, and the claimant waits for work no closed host can take.
 */
export function trialDeferred(
  job: Job,
  claimant: Pick<Factory, "id">,
  others: readonly Factory[],
  ctx: RouteContext,
  eligible: (job: Job, factory: Factory) => boolean,
): boolean {
  if (!runWouldBeTrial(job, claimant, ctx)) return false;
  return others.some((f) => f.id !== claimant.id && !runWouldBeTrial(job, f, ctx) && eligible(job, f));
}
