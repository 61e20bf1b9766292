// The learned-routing rules' bounds, property-tested over random fleets, records, rules, experiments and streams
// (core/router, core/track-record, core/track-term, core/recommendations, core/experiment; issue 11):
// - no prefer rule, recommendation-applied rule, experiment arm (weights and rules) or track record ever lets an
//   incapable, down, quarantined/draining/revoked, full, breaker-open or excluded factory rank or be planned, and
//   ranking is a function of the fleet as a set (any order of the same factories ranks the same, same scores);
// - a track record fed any outcomes — durations and costs NaN, ±Infinity or negative, ends in any order, `now` far
//   apart — keeps every statistic finite: rate and interval in [0, 1], means finite, effective n ≤ n, and a record
//   decayed to t1 then to t2 is the record decayed to t2 (not decayed twice over the first stretch); the term,
//   for empty, single-sample and full records alike, is a finite raw in [0, 1] and exactly neutral below min n;
// - recommendations over any records carry only finite numbers and say no "NaN" or "Infinity";
// - an experiment never concludes before each arm has its minimum sample (of the guardrail's metric), counts
//   nothing once ended, keeps its series bounded and every stored number finite; its arm share follows the split.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Arm, armOf, type Experiment, MAX_SERIES, newExperiment, observe } from "../../src/core/experiment.ts";
import type { Factory } from "../../src/core/model.ts";
import { recommend } from "../../src/core/recommendations.ts";
import { filterReasons, planAssignments, type RouteContext, rankFactories } from "../../src/core/router.ts";
import type { RoutingRule } from "../../src/core/routing-rules.ts";
import {
  addOutcome,
  decayTo,
  effectiveN,
  emptyRecord,
  successInterval,
  successRate,
  type TrackRecord,
} from "../../src/core/track-record.ts";
import { NEUTRAL, trackTerms } from "../../src/core/track-term.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;
const CAPS = ["lang:rust", "os:linux", "engine:codex", "gpu"] as const;
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;
const APPLIED = { reason: "applied from a recommendation", createdAt: NOW, createdBy: "op" };

// A duration or cost handed to the core: finite up to the wire's bound (`costUsd` ≤ 1e6, shared/api-work), or not.
const wildNumber = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 0, 1e6),
);

const outcomeArb = fc.record({
  ok: fc.boolean(),
  durationMs: wildNumber,
  costUsd: fc.option(wildNumber, { nil: undefined }),
  at: fc.integer({ min: -400 * DAY, max: 2 * DAY }),
});

function fold(outcomes: ReadonlyArray<Of<typeof outcomeArb>>): TrackRecord {
  let r = emptyRecord(NOW + (outcomes[0]?.at ?? 0));
  for (const o of outcomes) r = addOutcome(r, o, NOW + o.at);
  return r;
}
const recordArb = fc.array(outcomeArb, { maxLength: 30 }).map(fold);

const factoryArb = (id: string) =>
  fc
    .record({
      capabilities: fc.subarray([...CAPS]),
      health: fc.constantFrom("ok", "degraded", "down", "left" as const),
      status: fc.constantFrom("active", "active", "draining", "quarantined", "revoked" as const),
      seats: fc.integer({ min: 0, max: 3 }),
      load: fc.integer({ min: 0, max: 3 }),
      breakerOpen: fc.boolean(),
      excluded: fc.boolean(),
      record: fc.option(recordArb, { nil: undefined }),
    })
    .map((f) => ({ ...f, id }));

const fleetArb = fc
  .integer({ min: 1, max: 7 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => factoryArb(`f${i}`))));

const weight = fc.double({ min: 0, max: 100, noNaN: true });
const weightsArb = fc.record({ capabilityFit: weight, load: weight, track: weight }, { requiredKeys: [] });

function setup(fleet: Of<typeof fleetArb>, prefer: boolean, armWeights: Record<string, number>, minSamples: number) {
  const job = jobFixture(NOW, { requires: ["lang:rust"], engine: "codex", queuedAt: NOW - DAY });
  const factories: Factory[] = fleet.map(({ breakerOpen, excluded, record, ...f }) =>
    factoryFixture(NOW, { ...f, name: f.id }),
  );
  const effect = prefer ? "prefer" : "avoid";
  const rules: RoutingRule[] = fleet.map((f) => ({ ...APPLIED, id: `rr_${f.id}`, factoryId: f.id, effect }));
  const byId = new Map(fleet.map((f) => [f.id, f]));
  const ctx: RouteContext = {
    now: NOW,
    rules,
    openBreakers: new Set(fleet.filter((f) => f.breakerOpen).map((f) => `${f.id}:codex`)),
    exclusionOf: (_job, factoryId) =>
      byId.get(factoryId)?.excluded
        ? { jobId: job.id, factoryId, strikes: 1, kind: "rejected", at: NOW, until: NOW + DAY }
        : undefined,
    track: { objective: "success_per_usd", minSamples, recordOf: (id) => byId.get(id)?.record },
    // An experiment's arm preferring every factory, with its own weights: still a score, never a filter.
    policyFor: () => ({
      weights: armWeights,
      rules: rules.map((r) => ({ ...r, id: `ex_1/B/${r.factoryId}`, effect: "prefer" as const })),
    }),
  };
  return { job, factories, ctx };
}

describe("the filter is never overridden by learned routing", () => {
  it("rules, arms and records rank and plan only what the plain filter passes, alike in any order of the fleet", () => {
    fc.assert(
      fc.property(fleetArb, fc.boolean(), weightsArb, fc.integer({ min: 1, max: 8 }), (fleet, prefer, w, min) => {
        const { job, factories, ctx } = setup(fleet, prefer, w, min);
        const plain: RouteContext = { now: NOW, openBreakers: ctx.openBreakers, exclusionOf: ctx.exclusionOf };
        const eligible = factories.filter((f) => filterReasons(job, f, plain).length === 0).map((f) => f.id);
        const view = (fs: Factory[]) => rankFactories(job, fs, ctx).ranked.map((c) => [c.factoryId, c.score]);
        expect(
          view(factories)
            .map(([id]) => id)
            .sort(),
        ).toEqual([...eligible].sort());
        for (const step of planAssignments([job], factories, ctx)) expect(eligible).toContain(step.factoryId);
        // Ranking is a function of the fleet as a set: the reversed list ranks the same, with the same scores.
        expect(view([...factories].reverse())).toEqual(view(factories));
        for (const [, score] of view(factories)) expect(Number.isFinite(score)).toBe(true);
      }),
    );
  });
});

describe("track records and the term stay finite", () => {
  it("any outcomes, in any order and at any times, keep every statistic finite and in range; decay composes", () => {
    fc.assert(
      fc.property(recordArb, fc.integer({ min: -DAY, max: 3_000 * DAY }), fc.nat(30 * DAY), (r, later, gap) => {
        const seen = decayTo(r, NOW + later);
        // Seen at t1, then at t2, is seen at t2: a view is a record as of its time, not one to decay from the start.
        const [twice, once] = [decayTo(seen, NOW + later + gap), decayTo(r, NOW + later + gap)];
        for (const k of ["successes", "failures"] as const) expect(twice[k]).toBeCloseTo(once[k], 9);
        for (const x of [seen.successes, seen.failures, seen.durationMs.mean, seen.durationMs.m2, seen.costUsd.mean])
          expect(Number.isFinite(x)).toBe(true);
        expect(effectiveN(seen)).toBeLessThanOrEqual(r.n + 1e-9);
        const p = successRate(seen);
        const [lo, hi] = successInterval(seen);
        expect(p > 0 && p < 1 && lo >= 0 && hi <= 1 && lo <= p && p <= hi).toBe(true);
      }),
    );
  });

  it("the term of empty, single-sample and full records is a finite raw in [0, 1], neutral below min n", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(recordArb, { nil: undefined }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom("success_per_usd", "success_per_minute" as const),
        fc.integer({ min: 1, max: 6 }),
        (records, objective, minSamples) => {
          const job = jobFixture(NOW, { requires: ["lang:rust"], engine: "codex" });
          const fs = records.map((_, i) => ({ id: `f${i}` }));
          const track = { objective, minSamples, recordOf: (id: string) => records[Number(id.slice(1))] };
          for (const [id, ev] of trackTerms(job, fs, track, NOW)) {
            expect([id, Number.isFinite(ev.raw) && ev.raw >= 0 && ev.raw <= 1]).toEqual([id, true]);
            if ((ev.effectiveN ?? 0) < minSamples) expect(ev.raw).toBe(NEUTRAL);
            for (const x of [ev.successRate, ev.costUsd, ev.durationMinutes, ...(ev.ci95 ?? [])])
              if (x !== undefined) expect(Number.isFinite(x)).toBe(true);
          }
        },
      ),
    );
  });

  it("recommendations over any records carry finite numbers and never print NaN or Infinity", () => {
    const keyed = fc.array(
      fc.record({
        factoryId: fc.constantFrom("a", "b", "c", "d"),
        engine: fc.constantFrom("codex", "*"),
        jobClass: fc.constantFrom("lang:rust", "-"),
        record: fc.array(outcomeArb, { maxLength: 40 }).map(fold),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(keyed, (records) => {
        const unique = [...new Map(records.map((k) => [`${k.factoryId}/${k.engine}/${k.jobClass}`, k])).values()];
        for (const f of recommend(unique, NOW)) {
          expect(f.message).not.toMatch(/NaN|Infinity/);
          for (const x of Object.values(f.evidence)) expect(Number.isFinite(x)).toBe(true);
        }
      }),
    );
  });
});

const streamArb = fc.array(
  fc.record({ arm: fc.constantFrom<Arm>("A", "B"), ok: fc.boolean(), cost: fc.option(wildNumber, { nil: undefined }) }),
  { maxLength: 200 },
);

describe("guarded experiments", () => {
  it("never conclude before each arm has its minimum sample, and count nothing once ended", () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.constantFrom("success_rate", "cost" as const),
        fc.integer({ min: 5, max: 40 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (stream, metric, minSamples, margin) => {
          let e: Experiment = newExperiment(
            "ex_1",
            {
              jobClass: "-",
              arms: { A: {}, B: { weights: { load: 2 } } },
              split: 0.5,
              minSamples,
              guardrail: { metric, margin, confidence: 0.5 },
            },
            NOW,
            "op",
          );
          for (const [i, s] of stream.entries()) {
            const before = e;
            e = observe(e, s.arm, s.ok, s.cost, NOW + i);
            if (before.status !== "running") expect(e).toBe(before);
            const key = metric === "cost" ? "cost" : "outcomes";
            if (e.status === "concluded" && before.status === "running") {
              expect(Math.min(e.counts.A[key].n, e.counts.B[key].n)).toBeGreaterThanOrEqual(minSamples);
              expect(e.decision?.winner).not.toBe(e.decision?.loser);
            }
            expect(e.series.length).toBeLessThanOrEqual(MAX_SERIES);
            expect(JSON.parse(JSON.stringify(e))).toEqual(e); // every number survives storage (no NaN/∞)
          }
        },
      ),
    );
  });

  it("routes a share of jobs to arm B within five standard errors of the split", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.string({ minLength: 1, maxLength: 12 }),
        (split, exp) => {
          const N = 4_000;
          let b = 0;
          for (let i = 0; i < N; i++) if (armOf(`ex_${exp}`, `job_${i}`, split) === "B") b += 1;
          expect(Math.abs(b / N - split)).toBeLessThan(5 * Math.sqrt((split * (1 - split)) / N));
        },
      ),
      { numRuns: 60 },
    );
  });
});
