// Pass 44's review of core/router `pickJobForFactory` against the claim production runs (dispatch/claim `claimFor`):
// the pure rule is said to be "the pull claim's rule whole", yet it refuses a claimant whose last heartbeat said
// down or left (claimFor claims for it as `live`: the claim proves it alive) and takes a queued job whose retry
// backoff (`notBefore`) is still ahead (claimFor's walk reads due jobs only). Both are `it.fails`: red findings kept
// green until the rule is fixed. A fast-check property compares the two over random queues and fleets, claimFor
// composed of the pure pieces it runs (its guard, `live`, the due walk in `orderJobs` order, `scoreCandidate`,
// `trialDeferred`); it fails on those inputs and holds once they are left out.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trialDeferred } from "../../src/core/half-open-trial.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import type { BreakerDetail } from "../../src/core/route-filter.ts";
import { orderJobs, pickJobForFactory, type RouteContext, scoreCandidate } from "../../src/core/router.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;

/**
 * claimFor (dispatch/claim) as its pure pieces, step for step: the guard (active, a free seat, the budget not
 * paused), the claimant `live` (health down/left read as ok), the due queued jobs (`not_before` ≤ now) in urgency
 * order (dispatch/urgency-order yields exactly `orderJobs`), the hard filter and the trial deferral over `fleet`.
 * Left out: what needs the coordinator's storage (cascade hold, frame bound, job allowance, MAX_SCAN).
 */
function claimModel(jobs: readonly Job[], factory: Factory, ctx: RouteContext, fleet: readonly Factory[]) {
  if (factory.status !== "active" || factory.load >= factory.seats || ctx.budgetPaused) return undefined;
  const away = factory.health === "down" || factory.health === "left";
  const live: Factory = { ...factory, health: away ? "ok" : factory.health };
  const due = jobs.filter((j) => j.stage === "queued" && (j.notBefore === undefined || j.notBefore <= ctx.now));
  const eligible = (j: Job, f: Factory) => scoreCandidate(j, f, ctx).eligible;
  return orderJobs(due, ctx.now, ctx.weights, ctx.agingHorizonMs).find(
    (j) => eligible(j, live) && !trialDeferred(j, live, fleet, ctx, eligible),
  );
}

const HEALTHS = ["ok", "degraded", "down", "left"] as const;
const BREAKERS = ["closed", "half_open", "trial_out", "open"] as const;

/** A random product: factories f0..f3 (one the claimant), their default-engine breakers, and up to 8 queued jobs. */
const product = (withStale: boolean) =>
  fc.record({
    factories: fc.array(
      fc.record({
        seats: fc.integer({ min: 1, max: 3 }),
        load: fc.integer({ min: 0, max: 3 }),
        health: withStale ? fc.constantFrom(...HEALTHS) : fc.constantFrom("ok" as const, "degraded" as const),
        gpu: fc.boolean(),
        breaker: fc.constantFrom(...BREAKERS),
        status: fc.constantFrom("active" as const, "active" as const, "draining" as const),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    jobs: fc.array(
      fc.record({
        priority: fc.constantFrom("critical" as const, "high" as const, "medium" as const, "low" as const),
        gpu: fc.boolean(),
        ageMs: fc.integer({ min: 0, max: 3_600_000 }),
        backoff: withStale ? fc.constantFrom(undefined, -1_000, 60_000) : fc.constant(undefined),
      }),
      { maxLength: 8 },
    ),
  });

function build(p: fc.RecordValue<ReturnType<typeof product>>) {
  const fleet = p.factories.map((f, i) =>
    factoryFixture(NOW, {
      id: `f${i}`,
      name: `box-${i}`,
      seats: f.seats,
      load: f.load,
      health: f.health,
      status: f.status,
      capabilities: f.gpu ? ["gpu"] : [],
    }),
  );
  const openBreakers = new Set<string>();
  const breakers = new Map<string, BreakerDetail>();
  p.factories.forEach((f, i) => {
    if (f.breaker === "closed") return;
    const key = `f${i}:*`;
    breakers.set(key, {
      openUntil: f.breaker === "open" ? NOW + 60_000 : NOW - 1,
      ...(f.breaker === "trial_out" ? { trialJobId: "j-out" } : {}),
    });
    if (f.breaker !== "half_open") openBreakers.add(key);
  });
  const jobs = p.jobs.map((j, i) =>
    jobFixture(NOW, {
      id: `j${i}`,
      priority: j.priority,
      requires: j.gpu ? ["gpu"] : [],
      queuedAt: NOW - j.ageMs,
      ...(j.backoff === undefined ? {} : { notBefore: NOW + j.backoff }),
    }),
  );
  const ctx: RouteContext = { now: NOW, openBreakers, breakers };
  return { fleet, jobs, ctx };
}

describe("pickJobForFactory is claimFor's rule (pass 44 review of 0f95dccc)", () => {
  const job = jobFixture(NOW, { id: "only" });

  it.fails("claims for a claimant whose last heartbeat said down or left, as claimFor does (the claim proves it alive)", () => {
    for (const health of ["down", "left"] as const) {
      const stale = factoryFixture(NOW, { health });
      expect(claimModel([job], stale, { now: NOW }, [stale])?.id).toBe("only");
      expect(pickJobForFactory([job], stale, { now: NOW }, [stale])?.id).toBe("only"); // undefined: factory_down / _left
    }
  });

  it.fails("does not take a queued job whose retry backoff is still ahead, as claimFor's due walk does not", () => {
    const backingOff = jobFixture(NOW, { id: "later", notBefore: NOW + 60_000 });
    const f = factoryFixture(NOW);
    expect(claimModel([backingOff], f, { now: NOW }, [f])).toBeUndefined();
    expect(pickJobForFactory([backingOff], f, { now: NOW }, [f])).toBeUndefined(); // "later": notBefore not read
  });

  it.fails("property: over random queues, fleets and breakers, both pick the same job (stale health and backoffs in)", () => {
    fc.assert(
      fc.property(product(true), fc.nat(3), (p, at) => {
        const { fleet, jobs, ctx } = build(p);
        const claimant = fleet[at % fleet.length]!;
        expect(pickJobForFactory(jobs, claimant, ctx, fleet)?.id).toBe(claimModel(jobs, claimant, ctx, fleet)?.id);
      }),
      { numRuns: 300 },
    );
  });

  it("property: with live claimants and due jobs only, both pick the same job (the trial deferral agrees)", () => {
    fc.assert(
      fc.property(product(false), fc.nat(3), (p, at) => {
        const { fleet, jobs, ctx } = build(p);
        const claimant = fleet[at % fleet.length]!;
        expect(pickJobForFactory(jobs, claimant, ctx, fleet)?.id).toBe(claimModel(jobs, claimant, ctx, fleet)?.id);
      }),
      { numRuns: 300 },
    );
  });
});
