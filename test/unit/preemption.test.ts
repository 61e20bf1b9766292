// Preemption (core/preemption): a table of when a critical job evicts and whom, and properties over random fleets —
// it never evicts an equal or higher priority, never inside the cool-down, never when a free seat fits, and never on a
// factory running more jobs than its seats (a lowered seat limit), where one eviction would free no seat.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Factory, Job, Priority } from "../../src/core/model.ts";
import {
  decidePreemption,
  PREEMPTION_COOLDOWN_MS,
  type PreemptionCandidate,
  type PreemptionInput,
} from "../../src/core/preemption.ts";
import { filterReasons, PRIORITY_VALUE } from "../../src/core/router.ts";

const NOW = 1_700_000_000_000;
const MIN = 60_000;

function job(over: Partial<Job> = {}): Job {
  return {
    id: "j",
    productId: "p",
    title: "t",
    bodyMd: "",
    manifest: {} as Job["manifest"],
    stage: "building",
    priority: "low",
    requires: [],
    prefers: [],
    budget: {},
    deps: [],
    depsMode: "all",
    kind: "task",
    rev: 1,
    leaseEpoch: 1,
    attempt: 1,
    maxAttempts: 3,
    createdAt: NOW - 60 * MIN,
    updatedAt: NOW - 5 * MIN,
    queuedAt: NOW - 60 * MIN,
    ...over,
  };
}

function factory(over: Partial<Factory> = {}): Factory {
  return {
    id: "f1",
    productId: "p",
    name: "box",
    capabilities: ["gpu"],
    seats: 1,
    load: 1,
    health: "ok",
    status: "active",
    createdAt: NOW,
    ...over,
  };
}

const crit = job({ id: "crit", priority: "critical", stage: "queued", requires: ["gpu"], queuedAt: NOW });
const full = (running: Job[], over: Partial<Factory> = {}): PreemptionCandidate => ({
  factory: factory({ seats: running.length, load: running.length, ...over }),
  running,
});
const decide = (candidates: PreemptionCandidate[], over: Partial<PreemptionInput> = {}) =>
  decidePreemption({ incoming: crit, candidates, enabled: true, ctx: { now: NOW }, ...over });

describe("decidePreemption — table", () => {
  const low = job({ id: "low", priority: "low" });
  const cases: Array<{ name: string; run: () => ReturnType<typeof decide>; want: string }> = [
    {
      name: "preemption off: nothing is evicted",
      run: () => decide([full([low])], { enabled: false }),
      want: "disabled",
    },
    {
      name: "a high job never preempts",
      run: () => decide([full([low])], { incoming: { ...crit, priority: "high" } }),
      want: "not_critical",
    },
    {
      name: "a free seat that fits: no eviction",
      run: () => decide([full([low]), { factory: factory({ id: "f2", seats: 2, load: 1 }), running: [] }]),
      want: "free_seat_fits",
    },
    {
      name: "a free seat on a factory that cannot run it does not count",
      run: () => decide([full([low]), { factory: factory({ id: "f2", capabilities: [], load: 0 }), running: [] }]),
      want: "low",
    },
    {
      name: "the lowest priority is evicted",
      run: () => decide([full([job({ id: "m", priority: "medium" }), low])]),
      want: "low",
    },
    {
      name: "only critical and high running: high is evicted, critical never",
      run: () => decide([full([job({ id: "c2", priority: "critical" }), job({ id: "h", priority: "high" })])]),
      want: "h",
    },
    {
      name: "only critical running: nobody",
      run: () => decide([full([job({ id: "c2", priority: "critical" })])]),
      want: "no_eligible_victim",
    },
    {
      name: "the victim's factory must fit the job (capabilities)",
      run: () => decide([full([low], { capabilities: [] })]),
      want: "no_capable_factory",
    },
    {
      name: "a draining factory is no host for the job",
      run: () => decide([full([low], { status: "draining" })]),
      want: "no_capable_factory",
    },
    {
      name: "preempted 5 min ago: inside the cool-down",
      run: () => decide([full([job({ id: "low", preemptedAt: NOW - 5 * MIN })])]),
      want: "no_eligible_victim",
    },
    {
      name: "preempted 11 min ago: fair game again",
      run: () => decide([full([job({ id: "low", preemptedAt: NOW - 11 * MIN })])]),
      want: "low",
    },
    {
      name: "the coordinator's record of the last preemption wins over the (cleared) field",
      run: () => decide([full([low])], { lastPreemptedAt: () => NOW - MIN }),
      want: "no_eligible_victim",
    },
    {
      name: "this job already evicted one within the cool-down: no second eviction",
      run: () => decide([full([low])], { evictionInFlight: true }),
      want: "eviction_in_flight",
    },
    {
      name: "equal priority: the most recent checkpoint loses least",
      run: () =>
        decide([
          full([job({ id: "a", checkpoint: { at: NOW - 9 * MIN } }), job({ id: "b", checkpoint: { at: NOW - MIN } })]),
        ]),
      want: "b",
    },
    {
      name: "equal priority, no checkpoints: the most recently updated, then the lower id",
      run: () => decide([full([job({ id: "old", updatedAt: NOW - 9 * MIN }), job({ id: "z" }), job({ id: "y" })])]),
      want: "y",
    },
    {
      name: "a job in testing holds no seat: never a victim",
      run: () => decide([full([job({ id: "t", stage: "testing" })])]),
      want: "no_eligible_victim",
    },
    {
      name: "a factory over its seats (limit lowered while two ran): one eviction frees no seat, so none",
      run: () => decide([full([low, job({ id: "low2", priority: "low" })], { seats: 1 })]),
      want: "no_eligible_victim",
    },
    {
      name: "an over-full factory is passed over for one where the eviction gives a seat",
      run: () =>
        decide([
          full([low, job({ id: "low2", priority: "low" })], { seats: 1 }),
          full([job({ id: "med", priority: "medium" })], { id: "f2" }),
        ]),
      want: "med",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = c.run();
      expect(d.preempt ? d.victim.id : d.reason).toBe(c.want);
    });
  }

  it("names the victim's factory", () => {
    const d = decide([full([job({ id: "m", priority: "medium" })]), full([low], { id: "f9" })]);
    expect(d).toMatchObject({ preempt: true, factoryId: "f9" });
  });
});

const PRIORITIES: Priority[] = ["low", "medium", "high", "critical"];
const arbJob = (i: number) =>
  fc
    .record({
      priority: fc.constantFrom(...PRIORITIES),
      stage: fc.constantFrom("assigned" as const, "building" as const, "testing" as const),
      preemptedAgoMin: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      savedAgoMin: fc.integer({ min: 0, max: 60 }),
    })
    .map((r) =>
      job({
        id: `j${i}`,
        priority: r.priority,
        stage: r.stage,
        updatedAt: NOW - r.savedAgoMin * MIN,
        ...(r.preemptedAgoMin === undefined ? {} : { preemptedAt: NOW - r.preemptedAgoMin * MIN }),
      }),
    );
const arbCandidate = (f: number) =>
  fc
    .record({
      seats: fc.integer({ min: 1, max: 3 }),
      extra: fc.integer({ min: 0, max: 1 }),
      gpu: fc.boolean(),
      status: fc.constantFrom("active" as const, "active" as const, "draining" as const),
      jobs: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
    })
    .chain((r) =>
      fc.tuple(...r.jobs.map((_, k) => arbJob(f * 10 + k))).map((running) => ({
        factory: factory({
          id: `f${f}`,
          capabilities: r.gpu ? ["gpu"] : [],
          status: r.status,
          seats: Math.max(r.seats, running.length),
          load: Math.min(running.length + r.extra, Math.max(r.seats, running.length)),
        }),
        running,
      })),
    );
const arbFleet = fc
  .integer({ min: 0, max: 4 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, f) => arbCandidate(f))));

describe("decidePreemption — properties", () => {
  it("never evicts an equal or higher priority, nor inside the cool-down, nor when a free seat fits", () => {
    fc.assert(
      fc.property(arbFleet, fc.constantFrom(...PRIORITIES), (fleet, priority) => {
        const incoming = { ...crit, priority };
        const d = decide(fleet, { incoming });
        const freeFits = fleet.some(
          (c) => c.factory.load < c.factory.seats && filterReasons(incoming, c.factory, { now: NOW }).length === 0,
        );
        if (!d.preempt) return;
        expect(PRIORITY_VALUE[d.victim.priority]).toBeLessThan(PRIORITY_VALUE[incoming.priority]);
        expect(incoming.priority).toBe("critical");
        expect(d.victim.preemptedAt === undefined || NOW - d.victim.preemptedAt >= PREEMPTION_COOLDOWN_MS).toBe(true);
        expect(freeFits).toBe(false);
        const host = fleet.find((c) => c.factory.id === d.factoryId)!;
        expect(host.running).toContain(d.victim);
        expect(filterReasons(incoming, host.factory, { now: NOW }).filter((r) => r !== "no_free_seat")).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("the victim is the least urgent eligible one: no eligible job of lower priority is left running", () => {
    fc.assert(
      fc.property(arbFleet, (fleet) => {
        const d = decide(fleet);
        if (!d.preempt) return;
        for (const c of fleet) {
          if (filterReasons(crit, c.factory, { now: NOW }).some((r) => r !== "no_free_seat")) continue;
          for (const j of c.running) {
            const cooled = j.preemptedAt === undefined || NOW - j.preemptedAt >= PREEMPTION_COOLDOWN_MS;
            if (cooled && j.stage !== "testing") {
              expect(PRIORITY_VALUE[j.priority]).toBeGreaterThanOrEqual(PRIORITY_VALUE[d.victim.priority]);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
