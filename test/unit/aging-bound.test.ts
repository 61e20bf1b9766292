// The aging bound (core/aging), proved with a pure simulated dispatcher (router planAssignments, `now` advancing):
// under a steady random stream of fresher higher-priority jobs, a low job is assigned within N + 2τ when the
// starvation weight exceeds the priority gap (N = gap·H/w), and can be starved forever when it does not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agingBoundHolds, agingBoundMs } from "../../src/core/aging.ts";
import type { Factory, Job, Priority, RouterWeights } from "../../src/core/model.ts";
import { DEFAULT_WEIGHTS, PRIORITY_VALUE, planAssignments } from "../../src/core/router.ts";
import { jobFixture } from "../support/fixtures.ts";

const MIN = 60_000;

function job(id: string, priority: Priority, queuedAt: number): Job {
  return jobFixture(queuedAt, { id, title: id, priority });
}

interface Stream {
  seats: number;
  tickMs: number;
  horizonMs: number;
  weights: RouterWeights;
  /** When the low job is queued, as a fraction of the first tick. */
  lowAt: number;
  /** Per tick: the priorities arriving in it and where in the tick each arrives (fraction in (0, 1)). */
  arrivals: Array<Array<{ priority: Priority; at: number }>>;
}

/**
 * Seats free every tick (each job runs one tick); at each tick the dispatcher assigns by `planAssignments` with
 * `now` = that tick. Returns how long the low job waited (ms), or undefined if the stream ran out first.
 */
function lowJobWait(s: Stream): number | undefined {
  const factory: Factory = {
    id: "f",
    productId: "p",
    name: "f",
    capabilities: [],
    seats: s.seats,
    load: 0,
    health: "ok",
    status: "active",
    createdAt: 0,
  };
  const low = job("low", "low", s.lowAt * s.tickMs);
  let queue: Job[] = [low];
  for (let k = 1; k <= s.arrivals.length; k++) {
    const tickStart = (k - 1) * s.tickMs;
    s.arrivals[k - 1]!.forEach((a, i) => {
      queue.push(job(`j${k}-${i}`, a.priority, tickStart + a.at * s.tickMs));
    });
    const now = k * s.tickMs;
    const plan = planAssignments(queue, [factory], { now, weights: s.weights, agingHorizonMs: s.horizonMs });
    const taken = new Set(plan.map((p) => p.jobId));
    if (taken.has("low")) return now - low.queuedAt;
    queue = queue.filter((j) => !taken.has(j.id));
  }
  return undefined;
}

/** Classes that aging can overtake: not critical, which carries no penalty (core/router urgencyAt). */
const HIGHER: Priority[] = ["medium", "high"];
const arbArrival = (higher: Priority) =>
  fc.record({
    priority: fc.constantFrom(...HIGHER.filter((p) => PRIORITY_VALUE[p] <= PRIORITY_VALUE[higher])),
    at: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
  });

describe("agingBoundMs", () => {
  const cases: Array<[Priority, Priority, number, number]> = [
    ["low", "medium", 2.5, 12 * MIN], // defaults: 1/2.5 × 30 min
    ["medium", "high", 2.5, 12 * MIN],
    ["low", "high", 2.5, 24 * MIN], // defaults: 2/2.5 × 30 min
    ["low", "high", 1.5, Number.POSITIVE_INFINITY], // the SPEC's 1.5 < gap 2: no bound
    ["low", "high", 2, Number.POSITIVE_INFINITY], // w = gap: ties only with a job queued this instant
    ["low", "high", 3, 20 * MIN],
    ["low", "critical", 4, Number.POSITIVE_INFINITY], // critical carries no penalty: nothing ages past it
    ["high", "low", 2.5, 0],
  ];
  for (const [lower, higher, w, want] of cases) {
    it(`${lower} behind ${higher} with w = ${w}, H = 30 min: ${want / MIN} min`, () => {
      expect(agingBoundMs(lower, higher, { starvation: w }, 30 * MIN)).toBe(want);
    });
  }

  it("the defaults bound low behind a steady stream of high jobs: 24 min", () => {
    expect(agingBoundMs("low", "high", DEFAULT_WEIGHTS)).toBe(24 * MIN);
  });
});

describe("aging bound — simulated dispatcher over random arrival streams", () => {
  it("a low job is assigned within N + 2τ when w > gap (τ = seat cadence ≤ H − N)", () => {
    const arb = fc
      .record({
        higher: fc.constantFrom(...HIGHER),
        seats: fc.integer({ min: 1, max: 3 }),
        horizonMin: fc.integer({ min: 5, max: 120 }),
        extra: fc.double({ min: 0.1, max: 4, noNaN: true }),
        cadence: fc.double({ min: 0, max: 1, noNaN: true }),
        lowAt: fc.double({ min: 0, max: 0.999, noNaN: true }),
      })
      .chain((r) => {
        const gap = PRIORITY_VALUE[r.higher];
        const weights = { ...DEFAULT_WEIGHTS, starvation: gap + r.extra };
        const horizonMs = r.horizonMin * MIN;
        const n = agingBoundMs("low", r.higher, weights, horizonMs);
        // τ between N/100 (so a run is at most a few hundred ticks) and H − N (the bound's condition).
        const tickMs = Math.max(n / 100, 1000) + r.cadence * (horizonMs - n - Math.max(n / 100, 1000));
        const ticks = Math.ceil((n + 3 * tickMs) / tickMs);
        // A steady stream: every tick brings 1..seats jobs above low, so without aging low would never run.
        const tick = fc.array(arbArrival(r.higher), { minLength: 1, maxLength: r.seats });
        return fc
          .array(tick, { minLength: ticks, maxLength: ticks })
          .map((arrivals): Stream & { n: number; higher: Priority } => ({
            ...r,
            weights,
            horizonMs,
            tickMs,
            arrivals,
            n,
          }));
      })
      .filter((s) => agingBoundHolds("low", s.higher, s.weights, s.horizonMs, s.tickMs));
    fc.assert(
      fc.property(arb, (s) => {
        const waited = lowJobWait(s);
        expect(waited).toBeDefined();
        expect(waited!).toBeLessThanOrEqual(s.n + 2 * s.tickMs);
      }),
      { numRuns: 200 },
    );
  });

  it("the bound is sharp: with w ≤ gap a steady stream of fresh higher jobs starves the low job", () => {
    const arb = fc.record({
      higher: fc.constantFrom(...HIGHER),
      seats: fc.integer({ min: 1, max: 3 }),
      horizonMin: fc.integer({ min: 5, max: 60 }),
      under: fc.double({ min: 0, max: 1, noNaN: true }),
      at: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const gap = PRIORITY_VALUE[r.higher];
        const weights = { ...DEFAULT_WEIGHTS, starvation: gap * r.under };
        const horizonMs = r.horizonMin * MIN;
        const tickMs = horizonMs / 10;
        // Exactly `seats` jobs of the higher class per tick, each queued a little before the tick: 5 horizons.
        const arrivals = Array.from({ length: 50 }, () =>
          Array.from({ length: r.seats }, () => ({ priority: r.higher, at: r.at })),
        );
        expect(lowJobWait({ seats: r.seats, tickMs, horizonMs, weights, lowAt: 0, arrivals })).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});
