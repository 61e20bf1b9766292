// The router's learned term and routing rules (core/track-term, core/routing-rules, core/router; issue 11 part 2–3):
// on random fleets and records the term never lets a filtered factory rank, its contribution stays within ±weight/2,
// a factory with no history is never starved (with everyone below min n all tie, and it always scores at least as
// well as a factory whose record is clearly bad), a better record outranks a worse one under either objective, and
// explain's candidate carries n, the success rate and its interval; a rule adjusts the score and is shown, but never
// filters. Runs count decayed (effective n): a record of old runs and one fresh failure is below min n, so neutral.
// With a fixed reference set (TrackContext.referenceOf) any subset of the fleet ranks as the whole fleet does.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { DEFAULT_WEIGHTS, type RouteContext, rankFactories } from "../../src/core/router.ts";
import { type RoutingRule, RULE_STEP } from "../../src/core/routing-rules.ts";
import { addOutcome, decayTo, emptyRecord, type TrackRecord } from "../../src/core/track-record.ts";
import { NEUTRAL, type RoutingObjective, type TrackContext } from "../../src/core/track-term.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, {
    manifest: { class: "docs" } as Job["manifest"],
    requires: ["lang:rust"],
    queuedAt: NOW - 3_600_000,
    engine: "codex",
    ...over,
  });

const factory = (id: string, over: Partial<Factory> = {}): Factory =>
  factoryFixture(NOW, { id, name: id, capabilities: ["lang:rust", "engine:codex"], ...over });

/** A record of `n` runs, `fails` of them failures, each costing `usd` and lasting `minutes`. */
function record(n: number, fails: number, usd = 1, minutes = 10): TrackRecord {
  let r = emptyRecord(NOW);
  for (let i = 0; i < n; i++) r = addOutcome(r, { ok: i >= fails, durationMs: minutes * 60_000, costUsd: usd }, NOW);
  return r;
}

function ctxOf(
  records: Record<string, TrackRecord>,
  objective: RoutingObjective = "success_per_usd",
  rules: RoutingRule[] = [],
): RouteContext {
  const track: TrackContext = { objective, minSamples: 5, recordOf: (f) => records[f] };
  return { now: NOW, track, rules };
}

const recordArb = fc
  .tuple(
    fc.integer({ min: 0, max: 40 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.double({ min: 0.01, max: 20, noNaN: true }),
  )
  .map(([n, failShare, usd]) => record(n, Math.round(n * failShare), usd));

const fleetArb = fc.array(fc.record({ rec: fc.option(recordArb, { nil: undefined }), capable: fc.boolean() }), {
  minLength: 1,
  maxLength: 8,
});

describe("the track term", () => {
  it("never ranks a filtered factory, and its contribution is bounded by ±weight/2", () => {
    fc.assert(
      fc.property(
        fleetArb,
        fc.constantFrom<RoutingObjective>("success_per_usd", "success_per_minute"),
        (fleet, objective) => {
          const fs = fleet.map((x, i) => factory(`f${i}`, x.capable ? {} : { capabilities: ["engine:codex"] }));
          const records = Object.fromEntries(fleet.flatMap((x, i) => (x.rec ? [[`f${i}`, x.rec]] : [])));
          const { ranked, rejected } = rankFactories(job(), fs, ctxOf(records, objective));
          for (const c of ranked) expect(fleet[Number(c.factoryId.slice(1))]!.capable).toBe(true);
          expect(rejected.map((c) => c.factoryId).sort()).toEqual(
            fs
              .filter((_, i) => !fleet[i]!.capable)
              .map((f) => f.id)
              .sort(),
          );
          for (const c of [...ranked, ...rejected]) {
            expect(c.track.raw).toBeGreaterThanOrEqual(0);
            expect(c.track.raw).toBeLessThanOrEqual(1);
            expect(Math.abs(c.terms.track.contribution)).toBeLessThanOrEqual(DEFAULT_WEIGHTS.track / 2 + 1e-12);
          }
        },
      ),
    );
  });

  it("a factory with no history is never starved: below min n everyone is neutral and ties", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }), (ns) => {
        const records = Object.fromEntries(ns.map((n, i) => [`f${i}`, record(n, Math.floor(n / 2))]));
        const { ranked } = rankFactories(
          job(),
          [factory("new"), ...ns.map((_, i) => factory(`f${i}`))],
          ctxOf(records),
        );
        const top = ranked[0]!.score;
        expect(ranked.find((c) => c.factoryId === "new")!.score).toBe(top);
        for (const c of ranked) expect(c.track).toMatchObject({ raw: NEUTRAL, neutral: true });
      }),
    );
  });

  it("a factory with no history scores at least as well as one with a clearly bad record", () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), fc.integer({ min: 5, max: 40 }), (nGood, nBad) => {
        const records = { good: record(nGood, 0), bad: record(nBad, nBad) };
        const { ranked } = rankFactories(job(), [factory("bad"), factory("good"), factory("new")], ctxOf(records));
        const score = (id: string) => ranked.find((c) => c.factoryId === id)!.score;
        expect(score("new")).toBeGreaterThanOrEqual(score("bad"));
        expect(score("good")).toBeGreaterThan(score("bad"));
      }),
    );
  });

  it("counts runs decayed: 4 runs from 200 days ago and one fresh failure are below min n, so neutral", () => {
    const day = 86_400_000;
    let stale = emptyRecord(NOW - 200 * day);
    for (let i = 0; i < 4; i++)
      stale = addOutcome(stale, { ok: true, durationMs: 60_000, costUsd: 1 }, NOW - 200 * day);
    stale = addOutcome(stale, { ok: false, durationMs: 60_000, costUsd: 1 }, NOW);
    const records = { stale, a: record(10, 0), b: record(10, 5) };
    const { ranked } = rankFactories(job(), [factory("stale"), factory("a"), factory("b")], ctxOf(records));
    const s = ranked.find((c) => c.factoryId === "stale")!;
    expect(s.track).toMatchObject({ raw: NEUTRAL, neutral: true, n: 5, effectiveN: 1 });
    expect(s.terms.track.contribution).toBe(0);
  });

  it("any record whose decayed weight is under min n is neutral, whatever its plain count", () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(
        fc.array(fc.record({ ageDays: fc.integer({ min: 0, max: 120 }), ok: fc.boolean() }), { maxLength: 30 }),
        (runs) => {
          const sorted = [...runs].sort((x, y) => y.ageDays - x.ageDays);
          const r = sorted.reduce(
            (acc, x) => addOutcome(acc, { ok: x.ok, durationMs: 60_000, costUsd: 1 }, NOW - x.ageDays * day),
            emptyRecord(NOW - 200 * day),
          );
          const records = { x: r, a: record(10, 0), b: record(10, 5) };
          const { ranked } = rankFactories(job(), [factory("x"), factory("a"), factory("b")], ctxOf(records));
          const t = ranked.find((c) => c.factoryId === "x")!.track;
          expect(t.n).toBe(runs.length);
          const seen = decayTo(r, NOW);
          expect(t.effectiveN).toBe(Math.round(seen.successes + seen.failures));
          expect(t.neutral).toBe((t.effectiveN ?? 0) < 5);
          if (t.neutral) expect(t.raw).toBe(NEUTRAL);
        },
      ),
    );
  });

  it("shifts the choice to the better record and shows n, success rate and its 95 % interval", () => {
    const records = { a: record(20, 8, 1), b: record(20, 1, 1) };
    const { ranked } = rankFactories(job(), [factory("a"), factory("b")], ctxOf(records));
    expect(ranked.map((c) => c.factoryId)).toEqual(["b", "a"]);
    const b = ranked[0]!;
    expect(b.track).toMatchObject({ n: 20, neutral: false, engine: "codex", jobClass: "lang:rust|class:docs" });
    expect(b.track.successRate).toBeCloseTo(20 / 22, 9);
    expect(b.track.ci95![0]).toBeLessThan(b.track.successRate!);
    expect(b.terms.track.contribution).toBeGreaterThan(0);
    expect(ranked[1]!.terms.track.contribution).toBeLessThan(0);
  });

  it("weighs cost per success for success_per_usd and time per success for success_per_minute", () => {
    const records = { cheapSlow: record(10, 0, 1, 60), dearFast: record(10, 0, 5, 5) };
    const fs = [factory("cheapSlow"), factory("dearFast")];
    expect(rankFactories(job(), fs, ctxOf(records, "success_per_usd")).ranked[0]!.factoryId).toBe("cheapSlow");
    expect(rankFactories(job(), fs, ctxOf(records, "success_per_minute")).ranked[0]!.factoryId).toBe("dearFast");
  });

  it("with a fixed reference set, ranking any subset of the fleet orders it as the whole fleet does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ rec: fc.option(recordArb, { nil: undefined }), load: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.constantFrom<RoutingObjective>("success_per_usd", "success_per_minute"),
        (fleet, keep, objective) => {
          const fs = fleet.map((x, i) => factory(`f${i}`, { load: x.load, seats: 3 }));
          const records = Object.fromEntries(fleet.flatMap((x, i) => (x.rec ? [[`f${i}`, x.rec]] : [])));
          const base = ctxOf(records, objective);
          const ctx: RouteContext = {
            ...base,
            weights: { ...DEFAULT_WEIGHTS, track: 4 },
            track: { ...(base.track as TrackContext), referenceOf: () => fs.map((f) => f.id) },
          };
          const subset = fs.filter((_, i) => keep[i]);
          const whole = rankFactories(job(), fs, ctx).ranked;
          const part = rankFactories(job(), subset, ctx).ranked;
          const kept = new Set(subset.map((f) => f.id));
          expect(part.map((c) => c.factoryId)).toEqual(
            whole.filter((c) => kept.has(c.factoryId)).map((c) => c.factoryId),
          );
          for (const c of part) expect(c.track).toEqual(whole.find((w) => w.factoryId === c.factoryId)!.track);
        },
      ),
    );
  });

  it("the reviewer's fleet: the free two rank as explain ranks all four once the reference is fixed", () => {
    const records = { A: record(100, 10), B: record(100, 50), C: record(100, 95), D: record(100, 95) };
    const f = (id: string, load: number) => factory(id, { load, seats: 2 });
    const fleet = [f("A", 1), f("B", 0), f("C", 2), f("D", 2)];
    const base = ctxOf(records);
    const track = { ...(base.track as TrackContext), referenceOf: () => fleet.map((x) => x.id) };
    const ctx: RouteContext = { ...base, weights: { ...DEFAULT_WEIGHTS, track: 4 }, track };
    const dispatch = rankFactories(job(), fleet.slice(0, 2), ctx).ranked.map((c) => c.factoryId);
    const explain = rankFactories(job(), fleet, ctx).ranked.map((c) => c.factoryId);
    expect(dispatch).toEqual(explain);
    expect(dispatch).toEqual(["B", "A"]);
  });

  it("with no track context the term is neutral and adds nothing", () => {
    const { ranked } = rankFactories(job(), [factory("a")], { now: NOW });
    expect(ranked[0]!.terms.track).toEqual({ raw: NEUTRAL, weight: DEFAULT_WEIGHTS.track, contribution: 0 });
  });
});

describe("routing rules", () => {
  const rule = (over: Partial<RoutingRule>): RoutingRule => ({
    id: "rr_1",
    factoryId: "a",
    effect: "avoid",
    reason: "fails rust jobs",
    createdAt: NOW,
    createdBy: "op",
    ...over,
  });

  it("an avoid rule lowers the score by RULE_STEP and is shown; a prefer rule raises it", () => {
    const fs = [factory("a"), factory("b")];
    const plain = rankFactories(job(), fs, ctxOf({})).ranked;
    const avoided = rankFactories(job(), fs, ctxOf({}, "success_per_usd", [rule({})])).ranked;
    expect(avoided.map((c) => c.factoryId)).toEqual(["b", "a"]);
    const a = avoided.find((c) => c.factoryId === "a")!;
    expect(a.score).toBeCloseTo(plain.find((c) => c.factoryId === "a")!.score - RULE_STEP, 9);
    expect(a.rules).toEqual({
      rules: [{ id: "rr_1", effect: "avoid", reason: "fails rust jobs" }],
      adjustment: -RULE_STEP,
    });
    const preferred = rankFactories(
      job(),
      fs,
      ctxOf({}, "success_per_usd", [rule({ factoryId: "b", effect: "prefer" })]),
    );
    expect(preferred.ranked[0]!.rules?.adjustment).toBe(RULE_STEP);
  });

  it("never filters: an avoided factory that is the only capable one still ranks", () => {
    const { ranked, rejected } = rankFactories(job(), [factory("a")], ctxOf({}, "success_per_usd", [rule({})]));
    expect(ranked.map((c) => c.factoryId)).toEqual(["a"]);
    expect(rejected).toEqual([]);
  });

  it("matches only its engine and job class when it names them", () => {
    const fs = [factory("a")];
    const other = rule({ engine: "claude" });
    const otherClass = rule({ jobClass: "lang:go" });
    const mine = rule({ engine: "codex", jobClass: "lang:rust|class:docs" });
    expect(
      rankFactories(job(), fs, ctxOf({}, "success_per_usd", [other, otherClass])).ranked[0]!.rules,
    ).toBeUndefined();
    expect(rankFactories(job(), fs, ctxOf({}, "success_per_usd", [mine])).ranked[0]!.rules?.adjustment).toBe(
      -RULE_STEP,
    );
  });
});
