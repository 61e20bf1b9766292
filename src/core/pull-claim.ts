/**
 * @module core/pull-claim
 * An HTTP pull claim's rule as pure functions: which queued job a factory that asks for work gets. dispatch/claim
 * `claimFor` walks the queue in SQL by the same pieces (`claimantView`, `claimable`), and `pickJobForFactory` is the
 * whole rule over an in-memory queue — one rule, so the unit tests of the claim prove what production runs (pass 44:
 * a tests-only copy had drifted: no half-open trial deferral, a stale heartbeat refused, a job in backoff taken).
 */
import { runWouldBeTrial, trialDeferred } from "./half-open-trial.ts";
import type { Factory, Job } from "./model.ts";
import type { RouteContext } from "./route-types.ts";
import { orderJobs, scoreCandidate } from "./router.ts";

/**
 * The claimant as the filter reads it: a factory whose last heartbeat said `down` or `left` is asking for work, so it
 * is alive — read as `ok` (its other fields as they are).
 */
export function claimantView(factory: Factory): Factory {
  const away = factory.health === "down" || factory.health === "left";
  return away ? { ...factory, health: "ok" } : factory;
}

/**
 * Whether `live` (a `claimantView`) may claim `job` now: it passes the router's hard filter (core/router
 * `scoreCandidate`), and the run would not be its half-open breaker's trial while another factory of `fleet()` that is
 * not on a trial can take the job (core/half-open-trial `trialDeferred`). `fleet` is asked only for a would-be trial
 * (claimFor reads the factories from storage only then).
 */
export function claimable(job: Job, live: Factory, ctx: RouteContext, fleet: () => readonly Factory[]): boolean {
  const eligible = (j: Job, f: Factory) => scoreCandidate(j, f, ctx).eligible;
  if (!eligible(job, live)) return false;
  if (!runWouldBeTrial(job, live, ctx)) return true; // the fleet unread: most claims are of closed breakers
  return !trialDeferred(job, live, fleet(), ctx, eligible);
}

/**
 * The pull claim over an in-memory queue: undefined unless `factory` is active with a free seat and the budget is not
 * paused (`ctx.budgetPaused`); else the most urgent queued job that is due (`notBefore` ≤ `ctx.now`, ms epoch: a retry
 * backoff still ahead is not claimed) and `claimable` by the factory, over `fleet` (every factory of the product).
 */
export function pickJobForFactory(
  jobs: readonly Job[],
  factory: Factory,
  ctx: RouteContext,
  fleet: readonly Factory[],
): Job | undefined {
  if (factory.status !== "active" || factory.load >= factory.seats || ctx.budgetPaused) return undefined;
  const live = claimantView(factory);
  const due = jobs.filter((j) => j.stage === "queued" && (j.notBefore === undefined || j.notBefore <= ctx.now));
  return orderJobs(due, ctx.now, ctx.weights, ctx.agingHorizonMs).find((job) => claimable(job, live, ctx, () => fleet));
}
