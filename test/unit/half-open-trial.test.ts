// A half-open breaker's one trial run is given only work no closed host can take now (core/half-open-trial): its
// factory ranks after every eligible closed factory whatever its score (the incident: an idle half-open host out-
// scored a closed one with two free seats and the failed trial cost a critical job an attempt), explain marks it
// `trial`, and a pull claim passes over such a job for one only the claimant can run; yet once no closed host can
// take the job (full, or lacking its capability) the half-open host gets it, so its breaker still gets a trial and
// can close. Property: over random fleets, no job — ranked alone or planned in a batch — goes to a trial host while a
// closed capable host has a free seat, and a job with any eligible host is placed. Preemption likewise takes a closed
// factory's seat before a half-open one's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runWouldBeTrial, trialDeferred } from "../../src/core/half-open-trial.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import { decidePreemption } from "../../src/core/preemption.ts";
import { pickJobForFactory } from "../../src/core/pull-claim.ts";
import type { BreakerDetail } from "../../src/core/route-filter.ts";
import {
  planAssignments,
  type RouteContext,
  rankFactories,
  STARVATION_HORIZON_MS,
  scoreCandidate,
} from "../../src/core/router.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const job = (over: Partial<Job> = {}): Job => jobFixture(NOW, { queuedAt: NOW - STARVATION_HORIZON_MS, ...over });
const factory = (over: Partial<Factory> = {}): Factory => factoryFixture(NOW, over);

type State = "closed" | "half_open" | "trial_out" | "open";

/** A route context where each factory id's default-engine breaker is in the given state at NOW. */
function withBreakers(states: Record<string, State>): RouteContext {
  const openBreakers = new Set<string>();
  const breakers = new Map<string, BreakerDetail>();
  for (const [id, state] of Object.entries(states)) {
    if (state === "closed") continue;
    const key = `${id}:*`;
    const openUntil = state === "open" ? NOW + 60_000 : NOW - 1;
    breakers.set(key, { openUntil, ...(state === "trial_out" ? { trialJobId: "j-trial" } : {}) });
    if (state !== "half_open") openBreakers.add(key);
  }
  return { now: NOW, openBreakers, breakers };
}

const flaky = factory({ id: "flaky-1", name: "flaky-1", seats: 1, load: 0 });
const build = factory({ id: "build-1", name: "build-1", seats: 3, load: 1 });
const ctx = withBreakers({ "flaky-1": "half_open" });

describe("a half-open breaker's trial takes only work no closed host can take", () => {
  it("the incident: an idle half-open host out-scores a closed one with two free seats, yet ranks after it", () => {
    const critical = job({ priority: "critical" });
    const { ranked } = rankFactories(critical, [flaky, build], ctx);
    expect(ranked.map((c) => [c.factoryId, c.trial])).toEqual([
      ["build-1", undefined],
      ["flaky-1", true],
    ]);
    expect(ranked[1]?.score).toBeGreaterThan(ranked[0]?.score ?? Number.POSITIVE_INFINITY); // the load term: 1 vs 0.5
    expect(planAssignments([critical], [flaky, build], ctx)).toEqual([
      expect.objectContaining({ factoryId: "build-1" }),
    ]);
  });

  it("when every closed host is full, the half-open host gets the job as its trial (so it can close)", () => {
    const full = { ...build, load: 3 };
    expect(rankFactories(job(), [flaky, full], ctx).ranked.map((c) => c.factoryId)).toEqual(["flaky-1"]);
    // Three closed seats free, four jobs: the fourth, which no closed host can take, is the trial.
    const jobs = ["a", "b", "c", "d"].map((id, i) => job({ id, queuedAt: NOW - STARVATION_HORIZON_MS - 10 + i }));
    const plan = planAssignments(jobs, [flaky, { ...build, load: 0 }], ctx);
    expect(plan.map((p) => `${p.jobId}→${p.factoryId}`)).toEqual(["a→build-1", "b→build-1", "c→build-1", "d→flaky-1"]);
  });

  it("a pull claim (pickJobForFactory, claimFor's rule) passes over the claimant's trial while a closed host can take it", () => {
    const urgent = job({ id: "urgent", priority: "critical" });
    const gpuOnly = job({ id: "gpu-only", requires: ["gpu"] });
    const gpuFlaky = { ...flaky, capabilities: ["gpu"] };
    // The closed host can take the critical job: the half-open claimant takes the one only it can run.
    expect(pickJobForFactory([urgent, gpuOnly], gpuFlaky, ctx, [gpuFlaky, build])?.id).toBe("gpu-only");
    // The closed host full: no healthy path, the critical job is its trial.
    expect(pickJobForFactory([urgent, gpuOnly], gpuFlaky, ctx, [gpuFlaky, { ...build, load: 3 }])?.id).toBe("urgent");
    // The closed host claims as ever.
    expect(pickJobForFactory([urgent, gpuOnly], build, ctx, [gpuFlaky, build])?.id).toBe("urgent");
  });

  it("a closed host lacking the job's capability is no healthy path: the half-open host that has it gets it", () => {
    const gpuJob = job({ requires: ["gpu"] });
    const gpuFlaky = { ...flaky, capabilities: ["gpu"] };
    expect(rankFactories(gpuJob, [gpuFlaky, build], ctx).ranked.map((c) => c.factoryId)).toEqual(["flaky-1"]);
  });

  it("only a half-open breaker with no trial out marks a trial; open and trial-out breakers filter, closed is plain", () => {
    const states: State[] = ["closed", "half_open", "trial_out", "open"];
    const seen = states.map((s) => {
      const c = scoreCandidate(job(), flaky, withBreakers({ "flaky-1": s }));
      return [s, c.eligible, c.trial ?? false];
    });
    expect(seen).toEqual([
      ["closed", true, false],
      ["half_open", true, true],
      ["trial_out", false, false],
      ["open", false, false],
    ]);
    // Another engine's half-open breaker on the same factory is not this job's trial.
    expect(runWouldBeTrial(job({ engine: "claude" }), flaky, ctx)).toBe(false);
  });

  it("a pull claim by the half-open host defers to a closed host with a free seat, and not to a full one", () => {
    const eligible = (j: Job, f: Factory) => scoreCandidate(j, f, ctx).eligible;
    expect(trialDeferred(job(), flaky, [flaky, build], ctx, eligible)).toBe(true);
    expect(trialDeferred(job(), flaky, [flaky, { ...build, load: 3 }], ctx, eligible)).toBe(false);
    expect(trialDeferred(job(), build, [flaky, build], ctx, eligible)).toBe(false); // a closed claimant never defers
  });
});

describe("preemption takes a closed factory's seat before a half-open one's", () => {
  it("a critical job evicts on the closed factory even when the half-open one runs lower work", () => {
    const running = (id: string, priority: Job["priority"], holder: string) =>
      job({ id, priority, stage: "building", holderFactoryId: holder, updatedAt: NOW - 60 * 60_000 });
    const candidates = [
      { factory: { ...flaky, load: 1 }, running: [running("low-on-flaky", "low", "flaky-1")] },
      { factory: { ...build, load: 3 }, running: [running("medium-on-build", "medium", "build-1")] },
    ];
    const crit = job({ id: "crit", priority: "critical" });
    const decided = (c: RouteContext) => decidePreemption({ incoming: crit, candidates, enabled: true, ctx: c });
    expect(decided(ctx)).toMatchObject({ preempt: true, factoryId: "build-1" });
    expect(decided({ now: NOW })).toMatchObject({ preempt: true, factoryId: "flaky-1" }); // both closed: the lowest
  });
});

const CAPS = ["gpu", "os:linux"] as const;
const fleetArb = fc.array(
  fc.record({
    seats: fc.integer({ min: 1, max: 3 }),
    loadShare: fc.double({ min: 0, max: 1, noNaN: true }),
    caps: fc.subarray([...CAPS]),
    state: fc.constantFrom<State>("closed", "half_open", "trial_out", "open"),
  }),
  { minLength: 1, maxLength: 5 },
);
const jobsArb = fc.array(fc.subarray([...CAPS]), { minLength: 1, maxLength: 6 });

describe("property: no job goes to a trial host while a closed capable host has a free seat", () => {
  it("holds for one ranking and for a planned batch, and a job with an eligible host is always placed", () => {
    fc.assert(
      fc.property(fleetArb, jobsArb, (specs, requires) => {
        const fleet = specs.map((s, i) =>
          factory({ id: `f${i}`, seats: s.seats, load: Math.floor(s.loadShare * s.seats), capabilities: s.caps }),
        );
        const c = withBreakers(Object.fromEntries(specs.map((s, i) => [`f${i}`, s.state])));
        const jobs = requires.map((r, i) =>
          job({ id: `j${i}`, requires: r, queuedAt: NOW - STARVATION_HORIZON_MS - i }),
        );
        for (const j of jobs) {
          const { ranked } = rankFactories(j, fleet, c);
          const closedFree = fleet.some((f) => !runWouldBeTrial(j, f, c) && scoreCandidate(j, f, c).eligible);
          if (ranked[0]?.trial) expect(closedFree).toBe(false);
          expect(ranked.length > 0).toBe(fleet.some((f) => scoreCandidate(j, f, c).eligible));
        }
        const taken = new Map<string, number>();
        for (const p of planAssignments(jobs, fleet, c)) taken.set(p.factoryId, (taken.get(p.factoryId) ?? 0) + 1);
        for (const p of planAssignments(jobs, fleet, c)) {
          const j = jobs.find((x) => x.id === p.jobId) as Job;
          if (!runWouldBeTrial(j, { id: p.factoryId }, c)) continue;
          // Greedy in urgency order: loads only grow, so a closed capable host free then would be taken by now.
          for (const f of fleet.filter((f) => !runWouldBeTrial(j, f, c) && !c.openBreakers?.has(`${f.id}:*`)))
            if (j.requires.every((r) => f.capabilities.includes(r)))
              expect(f.load + (taken.get(f.id) ?? 0)).toBeGreaterThanOrEqual(f.seats);
        }
      }),
      { numRuns: 300 },
    );
  });
});
