/**
 * @module core/route-filter
 * The router's hard filter (SPEC §5): every reason a factory may not take a job now — a missing capability, a down
 * (or left) or non-active factory, no free seat, a closed serial gate, a budget pause, an open circuit breaker, an exclusion
 * in force. Score terms (core/router) never override it; the waiting view (core/waiting-fleet) and preemption
 * (core/preemption) read the same reasons. Pure: `ctx.now` is the only clock.
 */
import { DEFAULT_ENGINE } from "./breaker.ts";
import { type Exclusion, isExcluded } from "./exclusions.ts";
import type { Factory, Job } from "./model.ts";
import type { RouteContext } from "./router.ts";

/** The job's hard requirements: its `requires` plus `engine:<engine>` when it names one. */
export function effectiveRequires(job: Pick<Job, "requires" | "engine">): string[] {
  return [...new Set([...job.requires, ...(job.engine ? [`engine:${job.engine}`] : [])])];
}

/** All hard-filter failures of `factory` for `job`; empty means eligible. */
export function filterReasons(job: Job, factory: Factory, ctx: RouteContext): string[] {
  const caps = new Set(factory.capabilities);
  const reasons = effectiveRequires(job)
    .filter((c) => !caps.has(c))
    .map((c) => `missing_capability:${c}`);
  const capable = reasons.length === 0;
  if (factory.health === "down") reasons.push("factory_down");
  if (factory.health === "left") reasons.push("factory_left"); // stopped on purpose (core/departure): not an outage
  if (factory.status !== "active") reasons.push(`factory_${factory.status}`);
  if (factory.load >= factory.seats) reasons.push("no_free_seat");
  const key = job.serialKey;
  if (key !== undefined && (ctx.busySerialKeys?.has(key) || ctx.frozenSerialKeys?.has(key))) {
    reasons.push("serial_gate_closed");
  }
  if (ctx.budgetPaused) reasons.push("budget_paused");
  const engine = job.engine ?? DEFAULT_ENGINE;
  // Its own breaker, or (overflow: hold) another factory's: each named as what it is, never the other's breaker
  // blamed on this one. A factory that lacks a capability is not held: it could not run the job anyway.
  if (ownBreakerOpen(engine, factory, ctx)) reasons.push(`breaker_open:${engine}`);
  else if (capable && breakerBlocks(job, factory, ctx)) reasons.push(`overflow_hold:${engine}`);
  const exclusion = activeExclusion(job, factory, ctx);
  if (exclusion) reasons.push(`excluded:${exclusion.kind}`);
  return reasons;
}

/** The factory's own breaker for `engine` is open. */
function ownBreakerOpen(engine: string, factory: Pick<Factory, "id">, ctx: RouteContext): boolean {
  return ctx.openBreakers?.has(`${factory.id}:${engine}`) ?? false;
}

/**
 * The job's engine (or the factory's default, `*`, when it names none) has an open breaker on this factory — or,
 * with `overflow: hold`, on any factory: then the job waits rather than overflowing to the others. filterReasons
 * names the two apart: `breaker_open:<engine>` for the factory's own, `overflow_hold:<engine>` for another's.
 */
export function breakerBlocks(job: Pick<Job, "engine">, factory: Pick<Factory, "id">, ctx: RouteContext): boolean {
  const open = ctx.openBreakers;
  if (!open || open.size === 0) return false;
  const engine = job.engine ?? DEFAULT_ENGINE;
  if (ownBreakerOpen(engine, factory, ctx)) return true;
  if (ctx.overflow !== "hold") return false;
  for (const key of open) if (key.slice(key.lastIndexOf(":") + 1) === engine) return true;
  return false;
}

/** The exclusion in force for this job on this factory at `ctx.now`, if any. */
export function activeExclusion(job: Job, factory: Factory, ctx: RouteContext): Exclusion | undefined {
  const exclusion = ctx.exclusionOf?.(job.id, factory.id);
  return isExcluded(exclusion, ctx.now) ? exclusion : undefined;
}

/**
 * The engines (`*` for jobs naming none) whose open breakers refuse them on every factory of `factories` — those a
 * queue walk is for (the claimant, or the free factories holding a bucket's capabilities): the walk skips their jobs
 * unread, so they cannot fill its scan bound in front of work those factories can run. Empty for no factory.
 */
export function breakerHeldEngines(factories: readonly Pick<Factory, "id">[], ctx: RouteContext): Set<string> {
  const engines = new Set<string>();
  if (factories.length === 0 || !ctx.openBreakers?.size) return engines;
  for (const key of ctx.openBreakers) engines.add(key.slice(key.lastIndexOf(":") + 1));
  for (const engine of engines) {
    if (!factories.every((f) => breakerBlocks({ engine }, f, ctx))) engines.delete(engine);
  }
  return engines;
}
