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

/** What `overflow: hold` reads of a factory whose breaker is open: whether it could have taken the job. */
export type BreakerFactory = Pick<Factory, "status" | "health" | "capabilities">;

/** A breaker of `RouteContext.openBreakers` as the hold and the waiting words read it (core/breaker). */
export interface BreakerDetail {
  /** Open until this instant (ms epoch); half-open from then on. */
  openUntil: number;
  /** The half-open breaker's trial job while it is out. */
  trialJobId?: string;
  /** Its factory; absent once deregistered. */
  factory?: BreakerFactory;
}

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
  // A view whose heartbeats say up but whose link ended (core/waiting-fleet `reachableViews`): disconnected, not down.
  if (factory.health === "down") reasons.push("linkEnded" in factory ? "factory_disconnected" : "factory_down");
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
 * with `overflow: hold`, on another factory that could have taken the job otherwise (`holdsJob`): then the job waits
 * rather than overflowing to the rest. A breaker on a factory out of service (not active, left, down) or lacking the
 * job's capabilities holds nothing: a plain job waited minutes on an idle host for a quarantined host's breaker. filterReasons names the two
 * apart: `breaker_open:<engine>` for the factory's own, `overflow_hold:<engine>` for another's.
 */
export function breakerBlocks(
  job: Pick<Job, "engine" | "requires">,
  factory: Pick<Factory, "id">,
  ctx: RouteContext,
): boolean {
  const engine = job.engine ?? DEFAULT_ENGINE;
  if (ownBreakerOpen(engine, factory, ctx)) return true;
  return ctx.overflow === "hold" && breakerHolders(effectiveRequires(job), engine, ctx).length > 0;
}

/**
 * The ids of the factories whose open breaker of `engine` holds a job needing `requires` under `overflow: hold`:
 * each in service (known, active, not left, not down) and holding every capability in `requires`. Without
 * `ctx.breakers` (a caller that knows no fleet) every open breaker of the engine holds, as it always did.
 */
export function breakerHolders(requires: readonly string[], engine: string, ctx: RouteContext): string[] {
  const ids: string[] = [];
  for (const key of ctx.openBreakers ?? []) {
    const at = key.lastIndexOf(":");
    if (key.slice(at + 1) !== engine) continue;
    const id = key.slice(0, at);
    if (!ctx.breakers || couldTake(ctx.breakers.get(key)?.factory, requires)) ids.push(id);
  }
  return ids;
}

/**
 * In service (active, not left after draining, not down) and capable of `requires`; a deregistered one is undefined.
 * Down — no beat for 3 intervals (core/health), no link (core/factory-link) — is the router's own `factory_down`
 * (spec §5: a down factory is filtered out): it could not take the job, nor run its breaker's trial until it is back,
 * so its breaker held every job of the engine off the healthy fleet for the whole cool-down, however it doubled.
 */
function couldTake(f: BreakerFactory | undefined, requires: readonly string[]): boolean {
  if (!f || f.status !== "active" || f.health === "left" || f.health === "down") return false;
  const caps = new Set(f.capabilities);
  return requires.every((c) => caps.has(c));
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
 * `requires`: the capabilities of the bucket walked (its jobs' `effectiveRequires`, `engine:<engine>` included or
 * not); without it, each factory's own capabilities bound them (a job it is walked for needs no more), so an engine
 * is named only where `breakerBlocks` refuses every job of it that the walk could read.
 */
export function breakerHeldEngines(
  factories: readonly Pick<Factory, "id" | "capabilities">[],
  ctx: RouteContext,
  requires?: readonly string[],
): Set<string> {
  const engines = new Set<string>();
  if (factories.length === 0 || !ctx.openBreakers?.size) return engines;
  for (const key of ctx.openBreakers) engines.add(key.slice(key.lastIndexOf(":") + 1));
  for (const engine of engines) {
    const held = (f: Pick<Factory, "id" | "capabilities">) =>
      ownBreakerOpen(engine, f, ctx) ||
      (ctx.overflow === "hold" && breakerHolders(requires ?? f.capabilities, engine, ctx).length > 0);
    if (!factories.every(held)) engines.delete(engine);
  }
  return engines;
}
