// `overflow: hold` holds a job only for an open breaker on a factory that could have taken it otherwise: one in
// service (active, not left, not down, not deregistered) holding the job's capabilities — a plain job is no longer held
// off an idle factory by the breaker of a quarantined, revoked, draining, departed, down, deregistered or incapable one,
// and the waiting reason names only the factories whose breaker holds it. Properties: `breakerBlocks` under hold is
// exactly "its own breaker, or another's on an active, up (not left, not down), capable factory" (a down one held the
// healthy fleet for its whole cool-down, and could run no trial); `breakerHeldEngines` (the queue walk's skip-unread
// list) names an engine only where `breakerBlocks` refuses every job of it the walk could read, and, given the
// bucket's capabilities, exactly those.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Factory, FactoryStatus, Health, Job } from "../../src/core/model.ts";
import {
  type BreakerDetail,
  breakerBlocks,
  breakerHeldEngines,
  effectiveRequires,
} from "../../src/core/route-filter.ts";
import { filterReasons, type RouteContext } from "../../src/core/router.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const job = (over: Partial<Job> = {}) => jobFixture(NOW, over);
const factory = (over: Partial<Factory> = {}) => factoryFixture(NOW, over);

const docker = factory({ id: "docker", name: "demo-docker", capabilities: ["docker"] });
const gpu = (over: Partial<Factory> = {}) =>
  factory({ id: "gpu", name: "demo-gpu", capabilities: ["docker", "gpu"], ...over });

/** overflow: hold, with `gpu`'s breaker of `engine` open (the coordinator's view of it: `breakers`). */
function held(g: Factory | undefined, engine = "*"): RouteContext {
  const detail: BreakerDetail = { openUntil: NOW + 20_000, ...(g ? { factory: g } : {}) };
  return {
    now: NOW,
    overflow: "hold",
    openBreakers: new Set([`gpu:${engine}`]),
    breakers: new Map([[`gpu:${engine}`, detail]]),
  };
}

describe("overflow: hold counts only a breaker whose factory could have taken the job", () => {
  it("a plain job runs on an idle factory while the held one is out of service or gone", () => {
    const out: Array<Partial<Factory>> = [
      { status: "quarantined" },
      { status: "revoked" },
      { status: "draining" },
      { health: "left" },
      { health: "down" },
    ];
    for (const over of out) expect(filterReasons(job(), docker, held(gpu(over)))).toEqual([]);
    expect(filterReasons(job(), docker, held(undefined))).toEqual([]); // deregistered
  });

  it("a job the broken factory cannot run is not held for it; one it can run is", () => {
    const plainGpu = gpu({ capabilities: ["gpu"] });
    expect(filterReasons(job({ requires: ["docker"] }), docker, held(plainGpu))).toEqual([]);
    expect(filterReasons(job(), docker, held(plainGpu))).toEqual(["overflow_hold:*"]);
    // Degraded (a missed beat) is still in service: its breaker holds. Down is not (the first case above).
    expect(filterReasons(job(), docker, held(gpu({ health: "degraded" })))).toEqual(["overflow_hold:*"]);
  });

  it("the waiting reason names only the factories whose breaker holds the job", () => {
    const g = gpu({ capabilities: ["docker", "engine:claude"] });
    const ctx = held(g, "claude");
    // A deregistered factory's breaker (no factory in `breakers`) holds nothing and is not named.
    const c: RouteContext = { ...ctx, openBreakers: new Set([...(ctx.openBreakers ?? []), "gone:claude"]) };
    const claudeDocker = { ...docker, capabilities: ["docker", "engine:claude"] };
    const r = waitingReasonOf(
      job({ engine: "claude" }),
      { ctx: c, factories: [claudeDocker, g], connected: new Set(["docker"]) },
      NOW,
    );
    expect(r?.code).toBe("breaker_open");
    expect(r?.detail).toMatchObject({ factories: [{ id: "gpu", name: "demo-gpu" }], factoryCount: 1 });
  });
});

const CAPS = ["docker", "gpu", "engine:claude"];
const factoryArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    capabilities: fc.subarray(CAPS),
    status: fc.constantFrom<FactoryStatus>("active", "draining", "quarantined", "revoked"),
    health: fc.constantFrom<Health>("ok", "degraded", "down", "left"),
    known: fc.boolean(),
  });

/** The fleet and open breakers of a property run as a route context (a breaker of an unknown factory: deregistered). */
type Member = { id: string; capabilities: string[]; status: FactoryStatus; health: Health; known: boolean };
function contextOf(fleet: readonly Member[], open: readonly string[], overflow: "route" | "hold"): RouteContext {
  const breakers = new Map<string, BreakerDetail>();
  for (const key of open) {
    const f = fleet.find((x) => x.id === key.slice(0, key.indexOf(":")));
    breakers.set(key, { openUntil: NOW + 1, ...(f?.known ? { factory: f } : {}) });
  }
  return { now: NOW, overflow, openBreakers: new Set(open), breakers };
}

const fleetArb = fc.tuple(factoryArb("a"), factoryArb("b"), factoryArb("c"));
const openArb = fc.subarray(["a:*", "b:*", "c:*", "a:claude", "b:claude", "c:claude"]);

describe("breakerBlocks under overflow: hold", () => {
  it("property: a job is held exactly by its factory's own breaker or one on an active, up, capable factory", () => {
    fc.assert(
      fc.property(fleetArb, openArb, fc.subarray(CAPS), fc.constantFrom(undefined, "claude"), (fleet, open, r, e) => {
        const ctx = contextOf(fleet, open, "hold");
        const j = { engine: e, requires: r };
        const key = e ?? "*";
        const needs = effectiveRequires(j);
        const holder = (x: Member) =>
          open.includes(`${x.id}:${key}`) &&
          x.known &&
          x.status === "active" &&
          x.health !== "left" &&
          x.health !== "down" &&
          needs.every((c) => x.capabilities.includes(c));
        for (const f of fleet) {
          const own = open.includes(`${f.id}:${key}`);
          expect(breakerBlocks(j, f, ctx)).toBe(own || fleet.some(holder));
        }
      }),
    );
  });
});

describe("breakerHeldEngines agrees with breakerBlocks", () => {
  it("property: an engine it names is refused for every job the walk reads; with the bucket given, exactly", () => {
    fc.assert(
      fc.property(
        fleetArb,
        openArb,
        fc.constantFrom<"route" | "hold">("route", "hold"),
        fc.subarray(CAPS),
        fc.constantFrom(undefined, "claude"),
        (fleet, open, overflow, requires, engine) => {
          const ctx = contextOf(fleet, open, overflow);
          const j = { engine, requires };
          const bucket = effectiveRequires(j);
          const key = engine ?? "*";
          for (const f of fleet) {
            // The walk for `f` reads only buckets `f` holds every capability of.
            if (!bucket.every((c) => f.capabilities.includes(c))) continue;
            const blocks = breakerBlocks(j, f, ctx);
            if (breakerHeldEngines([f], ctx).has(key)) expect(blocks).toBe(true);
            expect(breakerHeldEngines([f], ctx, bucket).has(key)).toBe(blocks);
          }
        },
      ),
    );
  });
});
