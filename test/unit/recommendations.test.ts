// Recommendations (core/recommendations, issue 11 part 3): a factory that fails a job class clearly more often than
// the same engine elsewhere is named with its numbers ("fails 40 % of `lang:rust` jobs (n=20) vs 5 % elsewhere"),
// as is one that costs ≥ 2× the fleet median; nothing is said below MIN_N runs, for a gap under FAIL_GAP, or for
// noise (a two-proportion z under 1.96); each finding carries a stable id and the avoid rule that would act on it.
// Every sample size is the decayed one: old runs and runs that reported no cost do not make up the numbers. A rate
// short of every run never reads 100 %, nor one above none 0 %.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  COST_RATIO,
  FAIL_GAP,
  findingId,
  type KeyedTrack,
  MIN_N,
  recommend,
  twoProportionZ,
  Z_95,
} from "../../src/core/recommendations.ts";
import {
  addOutcome,
  decayTo,
  effectiveN,
  emptyRecord,
  type TrackRecord,
  wholeRuns,
} from "../../src/core/track-record.ts";

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

function record(n: number, fails: number, usd?: number): TrackRecord {
  let r = emptyRecord(NOW);
  for (let i = 0; i < n; i++) {
    r = addOutcome(r, { ok: i >= fails, durationMs: 60_000, ...(usd !== undefined ? { costUsd: usd } : {}) }, NOW);
  }
  return r;
}
const keyed = (factoryId: string, r: TrackRecord, engine = "codex", jobClass = "lang:rust"): KeyedTrack => ({
  factoryId,
  engine,
  jobClass,
  record: r,
});

describe("failure-rate findings", () => {
  it("never says 100 % of a rate short of every run, nor 0 % of one above none (core/percent-text)", () => {
    const others = [keyed("box-1", record(150, 1)), keyed("box-2", record(150, 0))];
    const f = recommend([keyed("box-3", record(200, 199)), ...others], NOW).find((x) => x.factoryId === "box-3");
    expect(f?.message).toBe("engine codex on box-3 fails >99 % of `lang:rust` jobs (n=200) vs <1 % elsewhere (n=300)");
  });

  it("names the worse factory with its rate, n and the rate elsewhere, and proposes an avoid rule", () => {
    const found = recommend(
      [keyed("box-3", record(20, 8)), keyed("box-1", record(20, 1)), keyed("box-2", record(20, 1))],
      NOW,
    );
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f).toMatchObject({ kind: "failure_rate", factoryId: "box-3", engine: "codex", jobClass: "lang:rust" });
    expect(f.message).toBe("engine codex on box-3 fails 40 % of `lang:rust` jobs (n=20) vs 5 % elsewhere (n=40)");
    expect(f.evidence).toMatchObject({ n: 20, failRate: 0.4, elsewhereRate: 0.05, nElsewhere: 40 });
    expect(f.rule).toEqual({
      factoryId: "box-3",
      engine: "codex",
      jobClass: "lang:rust",
      effect: "avoid",
      reason: f.message,
    });
    expect(f.id).toBe(findingId("failure_rate\nbox-3\ncodex\nlang:rust"));
    expect(f.id).toMatch(/^rec_[0-9a-f]{8}$/);
  });

  it(`says nothing below ${MIN_N} runs on either side, or for a gap under ${FAIL_GAP * 100} points`, () => {
    expect(recommend([keyed("a", record(MIN_N - 1, 8)), keyed("b", record(40, 0))], NOW)).toEqual([]);
    expect(recommend([keyed("a", record(40, 30)), keyed("b", record(MIN_N - 1, 0))], NOW)).toEqual([]);
    expect(recommend([keyed("a", record(100, 20)), keyed("b", record(100, 10))], NOW)).toEqual([]); // 10 points
  });

  it("does not read noise as a pattern: 4 of 10 vs 1 of 10 is within the interval", () => {
    expect(recommend([keyed("a", record(10, 4)), keyed("b", record(10, 1))], NOW)).toEqual([]);
    expect(twoProportionZ(0.4, 10, 0.1, 10)).toBeLessThan(Z_95);
    expect(recommend([keyed("a", record(40, 16)), keyed("b", record(40, 4))], NOW)).toHaveLength(1);
  });

  it("compares only the same engine and class", () => {
    const found = recommend(
      [keyed("a", record(30, 20)), keyed("b", record(30, 0), "claude"), keyed("c", record(30, 0), "codex", "lang:go")],
      NOW,
    );
    expect(found).toEqual([]);
  });
});

describe("cost findings", () => {
  it(`names a factory costing ≥ ${COST_RATIO}× the median of the others on the same class`, () => {
    const found = recommend(
      [
        keyed("gpu-1", record(12, 0, 3.1), "claude", "class:docs"),
        keyed("a", record(12, 0, 1), "claude", "class:docs"),
        keyed("b", record(12, 0, 1), "codex", "class:docs"),
      ],
      NOW,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: "cost", factoryId: "gpu-1", evidence: { n: 12, ratio: 3.1 } });
    expect(found[0]!.message).toBe(
      "claude on gpu-1 costs 3.1× the fleet median for `class:docs` jobs ($3.10 vs $1.00, n=12 with a reported cost)",
    );
  });

  it("is silent under the ratio, without a reported cost, or with too few runs", () => {
    expect(recommend([keyed("a", record(12, 0, 1.9)), keyed("b", record(12, 0, 1))], NOW)).toEqual([]);
    expect(recommend([keyed("a", record(12, 0)), keyed("b", record(12, 0, 1))], NOW)).toEqual([]);
    expect(recommend([keyed("a", record(MIN_N - 1, 0, 9)), keyed("b", record(12, 0, 1))], NOW)).toEqual([]);
  });
});

/** Runs ended at the given instants, in order: `ok` and `usd` (undefined: no cost reported) per run. */
function history(runs: ReadonlyArray<{ at: number; ok: boolean; usd?: number }>): TrackRecord {
  return [...runs]
    .sort((a, b) => a.at - b.at)
    .reduce(
      (r, x) =>
        addOutcome(r, { ok: x.ok, durationMs: 60_000, ...(x.usd !== undefined ? { costUsd: x.usd } : {}) }, x.at),
      emptyRecord(NOW - 400 * DAY),
    );
}
const times = (k: number, at: number, ok: boolean, usd?: number) =>
  Array.from({ length: k }, () => ({ at, ok, ...(usd !== undefined ? { usd } : {}) }));

describe("sample sizes are decayed", () => {
  it("one fresh failure after 9 successes 200 days ago is one run's evidence, not a 'fails 100 % (n=10)' finding", () => {
    const f1 = history([...times(9, NOW - 200 * DAY, true), ...times(1, NOW, false)]);
    const f2 = history([...times(9, NOW, true), ...times(1, NOW, false)]);
    expect(f1.n).toBe(10);
    expect(recommend([keyed("f1", f1, "*", "-"), keyed("f2", f2, "*", "-")], NOW)).toEqual([]);
  });

  it("the n shown is the effective one: 10 stale failures and 12 fresh ones read n=12, not n=22", () => {
    const bad = history([...times(10, NOW - 200 * DAY, false), ...times(12, NOW, false)]);
    const good = history(times(20, NOW, true));
    const [f] = recommend([keyed("bad", bad), keyed("good", good)], NOW);
    expect(f?.message).toBe("engine codex on bad fails 100 % of `lang:rust` jobs (n=12) vs 0 % elsewhere (n=20)");
  });

  it("a cost finding needs MIN_N runs that reported a cost, not MIN_N runs of which one did", () => {
    const once = history([...times(1, NOW, true, 5), ...times(9, NOW, true)]);
    const fleet = history(times(10, NOW, true, 1));
    expect(recommend([keyed("f1", once), keyed("f2", fleet)], NOW)).toEqual([]);
    const often = history([...times(MIN_N, NOW, true, 5), ...times(9, NOW, true)]);
    const [f] = recommend([keyed("f1", often), keyed("f2", fleet)], NOW);
    expect(f?.message).toBe(
      `codex on f1 costs 5.0× the fleet median for \`lang:rust\` jobs ($5.00 vs $1.00, n=${MIN_N} with a reported cost)`,
    );
  });

  it("a message names each factory by the name it is given, and the finding keeps its id", () => {
    const often = history([...times(MIN_N, NOW, true, 5), ...times(9, NOW, false)]);
    const fleet = history(times(20, NOW, true, 1));
    const names = new Map([
      ["fac_1", "gpu-box"],
      ["fac_2", "host-b"],
    ]);
    const found = recommend([keyed("fac_1", often), keyed("fac_2", fleet)], NOW, (id) => names.get(id) ?? id);
    expect(found.map((f) => f.kind)).toEqual(["failure_rate", "cost"]);
    for (const f of found) {
      expect(f.message).toContain(" on gpu-box ");
      expect(f.message).not.toContain("fac_1");
      expect(f.factoryId).toBe("fac_1");
    }
  });

  // Fresh runs (0–3 days) mixed with stale ones (100–300 days), per factory one failure share and one cost: enough
  // findings of both kinds (about a third of fleets) that the property is not vacuous.
  const run = (failShare: number, usd: number) =>
    fc.record({
      ageDays: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 100, max: 300 })),
      ok: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x >= failShare),
      usd: fc.option(fc.constant(usd), { nil: undefined }),
    });
  const factoryArb = fc
    .tuple(fc.constantFrom(0, 0.1, 0.8), fc.constantFrom(0.5, 1, 4))
    .chain(([failShare, usd]) => fc.array(run(failShare, usd), { maxLength: 40, size: "max" }));
  const fleetArb = fc.array(factoryArb, { minLength: 2, maxLength: 4 });

  it(`every finding rests on a decayed weight of at least ${MIN_N} runs on both sides, and shows that weight`, () => {
    fc.assert(
      fc.property(fleetArb, (fleet) => {
        const records = fleet.map((runs, i) =>
          keyed(`f${i}`, history(runs.map((r) => ({ at: NOW - r.ageDays * DAY, ok: r.ok, usd: r.usd })))),
        );
        const seen = records.map((k) => decayTo(k.record, NOW));
        for (const f of recommend(records, NOW)) {
          const i = Number(f.factoryId.slice(1));
          const mine = seen[i]!;
          if (f.kind === "failure_rate") {
            const others = seen.filter((_, j) => j !== i).reduce((s, r) => s + effectiveN(r), 0);
            expect(f.evidence.n).toBe(wholeRuns(effectiveN(mine)));
            expect(f.evidence.nElsewhere).toBe(wholeRuns(others));
            expect(f.evidence.nElsewhere).toBeGreaterThanOrEqual(MIN_N);
          } else {
            expect(f.evidence.n).toBe(wholeRuns(mine.costUsd.w));
            const costedOthers = seen.filter((r, j) => j !== i && wholeRuns(r.costUsd.w) >= MIN_N);
            expect(costedOthers.length).toBeGreaterThan(0);
          }
          expect(f.evidence.n).toBeGreaterThanOrEqual(MIN_N);
          expect(f.message).toContain(`n=${f.evidence.n}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The record-by-record definition recommend() had (each record against every other: quadratic in the records), kept
 * here as the reference the grouped one must agree with.
 */
function reference(records: readonly KeyedTrack[], now: number): Array<{ id: string; against: number }> {
  const keyed = records.map((k) => ({ ...k, record: decayTo(k.record, now) }));
  const out: Array<{ id: string; against: number }> = [];
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  for (const k of keyed) {
    if (wholeRuns(effectiveN(k.record)) < MIN_N) continue;
    const others = keyed.filter(
      (o) => o.engine === k.engine && o.jobClass === k.jobClass && o.factoryId !== k.factoryId,
    );
    const s = others.reduce((a, o) => a + o.record.successes, 0);
    const f = others.reduce((a, o) => a + o.record.failures, 0);
    if (wholeRuns(s + f) < MIN_N) continue;
    const rate = k.record.failures / effectiveN(k.record);
    if (rate - f / (s + f) < FAIL_GAP || twoProportionZ(rate, effectiveN(k.record), f / (s + f), s + f) < Z_95)
      continue;
    out.push({ id: findingId(`failure_rate\n${k.factoryId}\n${k.engine}\n${k.jobClass}`), against: f / (s + f) });
  }
  for (const k of keyed) {
    if (wholeRuns(k.record.costUsd.w) < MIN_N) continue;
    const others = keyed.filter((o) => o.jobClass === k.jobClass && wholeRuns(o.record.costUsd.w) >= MIN_N && o !== k);
    if (others.length === 0) continue;
    const fleet = median(others.map((o) => o.record.costUsd.mean));
    const ratio = fleet > 0 ? k.record.costUsd.mean / fleet : Number.POSITIVE_INFINITY;
    if (!(ratio >= COST_RATIO) || !Number.isFinite(ratio)) continue;
    out.push({ id: findingId(`cost\n${k.factoryId}\n${k.engine}\n${k.jobClass}`), against: fleet });
  }
  return out;
}

describe("grouped, not record by record", () => {
  // Fleets over two engines and two classes, each factory with a fail share and a cost: records share pools and
  // class cost lists (the grouping's whole point), and about half of the fleets yield a finding.
  const trackArb = fc.record({
    factory: fc.integer({ min: 0, max: 5 }),
    engine: fc.constantFrom("codex", "claude"),
    jobClass: fc.constantFrom("lang:rust", "class:docs"),
    runs: fc.integer({ min: 0, max: 40 }),
    failShare: fc.constantFrom(0, 0.1, 0.6),
    usd: fc.constantFrom(0.2, 0.5, 1, 1, 3, 9),
  });

  it("finds exactly what the record-by-record definition finds, in the same order, against the same pool and median", () => {
    let found = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(trackArb, { selector: (t) => `${t.factory}/${t.engine}/${t.jobClass}`, maxLength: 16 }),
        (ts) => {
          const records = ts.map((t) =>
            keyed(`f${t.factory}`, record(t.runs, Math.round(t.runs * t.failShare), t.usd), t.engine, t.jobClass),
          );
          // Each finding, and what it was measured against: the rate elsewhere, or the fleet's median cost.
          const got = recommend(records, NOW).map((f) => ({
            id: f.id,
            against: f.kind === "cost" ? f.evidence.fleetMedianUsd : f.evidence.elsewhereRate,
          }));
          found += got.length;
          const want = reference(records, NOW);
          expect(got.map((f) => f.id)).toEqual(want.map((f) => f.id));
          for (const [i, f] of got.entries()) expect(f.against).toBeCloseTo(want[i]!.against, 9);
        },
      ),
      { numRuns: 400 },
    );
    expect(found).toBeGreaterThan(50);
  });
});
