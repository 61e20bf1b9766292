/**
 * @module core/waiting-fleet
 * Why the fleet cannot take a queued job, read from the router's own hard filter (core/router `filterReasons`):
 * every factory's refusal reasons are sorted into one fleet-wide cause — no capable factory, the capable ones
 * quarantined, none connected, breakers open (their own, or another's under `overflow: hold`), exclusions, or every
 * seat busy — so the waiting reason cannot disagree with the router. Pure: the connected set and `now` are parameters.
 */
import { DEFAULT_ENGINE } from "./breaker.ts";
import { linkEndedWhileUp } from "./factory-link.ts";
import type { Factory, Job } from "./model.ts";
import { breakerHolders } from "./route-filter.ts";
import { effectiveRequires, filterReasons, type RouteContext } from "./router.ts";

/**
 * The factories as the router sees them for dispatch: a connected one is alive whatever its last heartbeat says
 * (push dispatch and HTTP claims treat it so), one that is not connected cannot take work, so it counts as down —
 * but for one in `draining`: its link is live and its agent asked for no new work (a `drain` frame), so it is the
 * status it chose, `draining`, not an unconnected host an operator would go and look for. One that left (drained and
 * closed cleanly: core/departure) keeps its health `left`: stopped on purpose, not down.
 */
export function reachableViews(
  factories: readonly Factory[],
  connected: ReadonlySet<string>,
  draining?: ReadonlySet<string>,
): Factory[] {
  return factories.map((f) => {
    if (connected.has(f.id)) return { ...f, health: f.health === "down" ? "ok" : f.health };
    if (f.status === "active" && draining?.has(f.id)) return { ...f, status: "draining" };
    // Its heartbeats say up but its link ended (core/factory-link, the fleet view's rule): down to the router, and said
    // as what it is — explain called it `factory_down` beside the fleet view's health `ok` (route-filter reads this).
    const ended = linkEndedWhileUp({ ...f, connected: false }) ? { linkEnded: true as const } : {};
    return { ...f, health: f.health === "left" ? "left" : "down", ...ended };
  });
}

/** One factory in a cause's detail. */
export interface FactoryNote {
  id: string;
  name: string;
}

export type FleetCause =
  | {
      code: "no_capable_factory";
      requires: string[];
      missing: string[];
      closest?: FactoryNote & { missing: string[] };
      /** How many factories are enrolled (none of them has all of `missing`): 0 says enroll one, more says add it. */
      enrolled?: number;
      /** Factories that would be capable once an operator approves the capabilities they declared (pending). */
      pendingApproval?: Array<FactoryNote & { capabilities: string[] }>;
      /** Revoked factories that have every required capability: not counted in `enrolled`, so said apart. */
      revoked?: FactoryNote[];
    }
  /**
   * No capable factory is active. `factory_quarantined` when one of them is quarantined (an operator's release puts
   * it back), else `factory_draining`: each is draining — going away on purpose, not held by the error budget.
   */
  | { code: "factory_quarantined" | "factory_draining"; factories: Array<FactoryNote & { status: string }> }
  /**
   * `factories`: those down; `left`: those stopped on purpose (core/departure), named apart as no outage;
   * `excluded`: those of `factories` also kept from the job (a lease they lost), each with its end (ms) — once its
   * agent is back, such a factory still waits that long; `retryAt`: the job's retry backoff ends then (ms), past
   * `now` — once an agent is back, the job still waits for it.
   */
  | {
      code: "no_factory_connected";
      factories: FactoryNote[];
      left?: FactoryNote[];
      excluded?: Array<FactoryNote & { kind: string; until: number }>;
      retryAt?: number;
    }
  /**
   * `factories`: those whose own breaker for the engine is open, each with its state (`BreakerNote`). `held`: the
   * product's `overflow: hold` keeps the job off the others too (core/route-filter `breakerBlocks`), so some capable
   * factory is held, not broken.
   */
  | { code: "breaker_open"; engine: string; factories: Array<FactoryNote & BreakerNote>; held: boolean }
  | { code: "excluded"; until: number; factories: Array<FactoryNote & { kind: string; until: number }> }
  | { code: "all_seats_busy"; factories: Array<FactoryNote & { load: number; seats: number }> }
  /** Some factory passes every per-factory filter (the job may still wait on a job-wide gate). */
  | { code: "fits" };

const note = (f: Factory): FactoryNote => ({ id: f.id, name: f.name });

/** A breaker's state in a cause: open `until` (ms epoch), or half-open with `trialJobId` out (ctx.breakers). */
export interface BreakerNote {
  until?: number;
  trialJobId?: string;
}

/**
 * Sorts the router's refusals into one fleet cause. Order (each step keeps only the factories that got past the
 * previous one): has the capabilities (a revoked factory is no longer enrolled, so it does not count) → is active
 * → is connected → has no open breaker for the engine → is not excluded → has a free seat. The first step no
 * factory gets past names the cause; breaker, exclusion and seat are reported as "all of them" only, so a mixed
 * fleet is reported by the cause nearest to resolving (a seat frees sooner than a breaker closes).
 * Job-wide gates (serial key, budget pause) are left out here: core/waiting orders them.
 */
export function fleetCause(job: Job, views: readonly Factory[], ctx: RouteContext): FleetCause {
  const per = views.map((f) => ({ f, reasons: filterReasons(job, f, ctx) }));
  const has = (reasons: string[], prefix: string) => reasons.some((r) => r.startsWith(prefix));
  const enrolled = per.filter(({ f }) => f.status !== "revoked");
  const capable = enrolled.filter(({ reasons }) => !has(reasons, "missing_capability:"));
  if (capable.length === 0) return noCapable(job, enrolled, per);
  const active = capable.filter(({ f }) => f.status === "active");
  if (active.length === 0) {
    // Named by what holds them: a draining host was called "quarantined", and `factory release` refused it (409).
    const code = capable.some(({ f }) => f.status === "quarantined") ? "factory_quarantined" : "factory_draining";
    return { code, factories: capable.map(({ f }) => ({ ...note(f), status: f.status })) };
  }
  const out = new Set(["factory_down", "factory_disconnected", "factory_left"]);
  const live = active.filter(({ reasons }) => !reasons.some((r) => out.has(r)));
  if (live.length === 0) {
    const left = active.filter(({ f }) => f.health === "left").map(({ f }) => note(f));
    const factories = active.filter(({ f }) => f.health !== "left").map(({ f }) => note(f));
    const excluded = keptFrom(job, factories, ctx);
    return {
      code: "no_factory_connected",
      factories,
      ...(left.length > 0 ? { left } : {}),
      ...(excluded.length > 0 ? { excluded } : {}),
      ...(job.notBefore !== undefined && job.notBefore > ctx.now ? { retryAt: job.notBefore } : {}),
    };
  }
  // A breaker counts whether it is the factory's own (breaker_open:) or another's under overflow: hold.
  const breaker = (r: string) => r.startsWith("breaker_open:") || r.startsWith("overflow_hold:");
  const perFactory = (r: string) => breaker(r) || r.startsWith("excluded:") || r === "no_free_seat";
  if (live.some(({ reasons }) => !reasons.some(perFactory))) return { code: "fits" };
  const unbroken = live.filter(({ reasons }) => !reasons.some(breaker));
  if (unbroken.length === 0) return breakerCause(job, views, live, ctx);
  const seatOnly = unbroken.filter(({ reasons }) => !has(reasons, "excluded:"));
  if (seatOnly.length === 0) {
    const factories = unbroken.map(({ f }) => {
      const ex = ctx.exclusionOf?.(job.id, f.id);
      return { ...note(f), kind: ex?.kind ?? "expired", until: ex?.until ?? ctx.now };
    });
    return { code: "excluded", until: Math.min(...factories.map((x) => x.until)), factories };
  }
  return {
    code: "all_seats_busy",
    factories: seatOnly.map(({ f }) => ({ ...note(f), load: f.load, seats: f.seats })),
  };
}

/**
 * Which of `factories` are kept from the job past `now` (core/exclusions): "start the agent" alone sent a newcomer
 * into a second wait, `excluded` until the lease its crash lost had served its backoff.
 */
function keptFrom(
  job: Job,
  factories: readonly FactoryNote[],
  ctx: RouteContext,
): Array<FactoryNote & { kind: string; until: number }> {
  return factories.flatMap((f) => {
    const ex = ctx.exclusionOf?.(job.id, f.id);
    return ex && ex.until > ctx.now ? [{ ...f, kind: ex.kind, until: ex.until }] : [];
  });
}

/**
 * Every live factory refuses the job for a breaker. Without `overflow: hold` each has its own open; with it, the
 * job may be held by a breaker elsewhere — on a factory in service (active, not left, up by its heartbeats: a down
 * one holds nothing) and capable, though maybe not live (its link lost within the heartbeat grace) — so the cause names
 * exactly the factories whose open breaker holds it (core/route-filter `breakerHolders`; by id when it is not in
 * the fleet), and says whether the hold policy is what keeps it off the rest.
 */
function breakerCause(
  job: Job,
  views: readonly Factory[],
  live: ReadonlyArray<{ f: Factory }>,
  ctx: RouteContext,
): FleetCause {
  const engine = job.engine ?? DEFAULT_ENGINE;
  const ownOpen = (id: string) => ctx.openBreakers?.has(`${id}:${engine}`) ?? false;
  const state = (id: string): BreakerNote => {
    const b = ctx.breakers?.get(`${id}:${engine}`);
    if (!b) return {};
    return b.trialJobId !== undefined ? { trialJobId: b.trialJobId } : { until: b.openUntil };
  };
  const held = live.some(({ f }) => !ownOpen(f.id));
  if (!held)
    return { code: "breaker_open", engine, factories: live.map(({ f }) => ({ ...note(f), ...state(f.id) })), held };
  const byId = new Map(views.map((f) => [f.id, f]));
  const ids = breakerHolders(effectiveRequires(job), engine, ctx); // those whose breaker holds it, not every one
  const factories = [...new Set(ids)].map((id) => {
    const f = byId.get(id);
    return { ...(f ? note(f) : { id, name: id }), ...state(id) };
  });
  return { code: "breaker_open", engine, factories, held };
}

/**
 * The capabilities to add: those no enrolled factory has at all (enrolling one factory with them is necessary);
 * when each exists somewhere but never all together, the shortest list a single factory lacks (the closest one).
 * First, though, the factories that lack only capabilities they declared and await approval for
 * (`pendingApproval`, each with what to approve): approving one makes it capable.
 */
function noCapable(
  job: Job,
  enrolled: ReadonlyArray<{ f: Factory; reasons: string[] }>,
  all: ReadonlyArray<{ f: Factory; reasons: string[] }>,
): FleetCause {
  const requires = effectiveRequires(job);
  const lacks = ({ f }: { f: Factory }) => requires.filter((c) => !f.capabilities.includes(c));
  // A factory that declared every capability it lacks is one approval away: that is the operator's step, not enrolling.
  const pendingApproval = enrolled
    .filter((e) => lacks(e).length > 0 && lacks(e).every((c) => e.f.pendingCapabilities?.includes(c)))
    .map((e) => ({ ...note(e.f), capabilities: lacks(e) }));
  const held = new Set(enrolled.flatMap(({ f }) => f.capabilities));
  const missing = requires.filter((c) => !held.has(c));
  if (pendingApproval.length > 0) return { code: "no_capable_factory", requires, missing, pendingApproval };
  // A revoked factory that has them was left out of the count silently: "none of the 3 enrolled factories has it"
  // beside 4 listed, one of them with it.
  const revokedOnes = all.filter((e) => e.f.status === "revoked" && lacks(e).length === 0).map(({ f }) => note(f));
  const revoked = revokedOnes.length > 0 ? { revoked: revokedOnes } : {};
  if (missing.length > 0 || enrolled.length === 0)
    return { code: "no_capable_factory", requires, missing, enrolled: enrolled.length, ...revoked };
  const best = [...enrolled].sort((a, b) => lacks(a).length - lacks(b).length || (a.f.id < b.f.id ? -1 : 1))[0]!;
  const closest = { ...note(best.f), missing: lacks(best) };
  return { code: "no_capable_factory", requires, missing: closest.missing, closest, ...revoked };
}
