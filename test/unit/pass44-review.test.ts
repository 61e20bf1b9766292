// Pass 44's review of its product changes. 0f95dccc: core/router `pickJobForFactory` is said to be "the pull claim's
// rule whole" (dispatch/claim `claimFor`), yet it refuses a claimant whose last heartbeat said down or left (claimFor
// claims for it as `live`: the claim proves it alive) and takes a queued job whose retry backoff (`notBefore`) is still
// ahead (claimFor's walk reads due jobs only); a fast-check property compares the two over random queues and fleets,
// claimFor composed of the pure pieces it runs, red on those inputs and green once they are left out. 8b2e3273:
// dashboard/newest-read draws a read sent before an action and answering after the action drew its own answer and
// sent its re-read (dead-letters' redrive takes the row off, then reads quietly: the row came back, Redrive armed when
// that re-read failed) unless the action overtakes at its answer, as every page's action now does; and `overtake()`
// no longer strands a busy button armed by `last()`.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { newestRead } from "../../dashboard/newest-read.js";
import { trialDeferred } from "../../src/core/half-open-trial.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import { pickJobForFactory } from "../../src/core/pull-claim.ts";
import type { BreakerDetail } from "../../src/core/route-filter.ts";
import { orderJobs, type RouteContext, scoreCandidate } from "../../src/core/router.ts";
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

/** What `product` draws. */
type Drawn = ReturnType<typeof product> extends fc.Arbitrary<infer T> ? T : never;

function build(p: Drawn) {
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

  it("claims for a claimant whose last heartbeat said down or left, as claimFor does (the claim proves it alive)", () => {
    for (const health of ["down", "left"] as const) {
      const stale = factoryFixture(NOW, { health });
      expect(claimModel([job], stale, { now: NOW }, [stale])?.id).toBe("only");
      expect(pickJobForFactory([job], stale, { now: NOW }, [stale])?.id).toBe("only"); // undefined: factory_down / _left
    }
  });

  it("does not take a queued job whose retry backoff is still ahead, as claimFor's due walk does not", () => {
    const backingOff = jobFixture(NOW, { id: "later", notBefore: NOW + 60_000 });
    const f = factoryFixture(NOW);
    expect(claimModel([backingOff], f, { now: NOW }, [f])).toBeUndefined();
    expect(pickJobForFactory([backingOff], f, { now: NOW }, [f])).toBeUndefined(); // "later": notBefore not read
  });

  it("property: over random queues, fleets and breakers, both pick the same job (stale health and backoffs in)", () => {
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

describe("dashboard/newest-read around an action (pass 44 review of 8b2e3273)", () => {
  // dashboard/dead-letters + dead-letter-redrive: Refresh (a pager read) is out; a Redrive answers, `forget` takes the
  // row off, and `load(true)` reads again, quietly. The Refresh read was served before the redrive: it lists the row.
  // Without an overtake at the answer it was drawn (the row back, Redrive armed); dead-letters' `forget` now overtakes.
  it("an action overtakes at its answer: a read sent before it is dropped, its own re-read draws and arms", () => {
    const pg = newestRead();
    const refresh = pg.begin();
    pg.overtake(); // at the redrive's answer, with forget(id)
    const reread = pg.begin();
    expect(pg.newest(refresh)).toBe(false);
    expect(pg.last(reread)).toBe(true);
    expect(pg.newest(reread)).toBe(true);
  });

  // A page that draws an action's answer itself (overtake, no re-read: settings.js, budget.js) and arms a busy
  // Refresh with `last()` kept it busy: the read out was never the last any more (red before `lastBegun`).
  it("a Refresh read out when an action overtakes it still arms Refresh when it answers", () => {
    const pg = newestRead();
    const refresh = pg.begin(); // Refresh pressed: busy until `last(refresh)`
    pg.overtake(); // a Save answered and drew itself
    expect(pg.newest(refresh)).toBe(false); // rightly not drawn
    expect(pg.last(refresh)).toBe(true); // but nothing else will arm Refresh: false, busy for good
  });
});
