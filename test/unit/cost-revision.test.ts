// core/cost-revision and core/run-accrual `raisedToMark`: a counted run's cost revised after its close leaves its
// track record exactly as if the run had closed at the new cost — any run, any ages, any order of end, from no cost
// or from one — changing no count, weight of evidence or time; an experiment arm's cost sums likewise, only while it
// runs. A closed run's insights rise to what it was charged, cost and tokens (the shortfall on tokensIn), never fall.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reviseArmCost, reviseRecordCost, reviseSample } from "../../src/core/cost-revision.ts";
import { type Experiment, newExperiment } from "../../src/core/experiment.ts";
import { raisedToMark } from "../../src/core/run-accrual.ts";
import { addOutcome, emptyRecord, HALF_LIFE_MS, type TrackRecord } from "../../src/core/track-record.ts";

const T0 = 1_700_000_000_000;
type RunAt = { endedAt: number; ok: boolean; costUsd?: number };

const fold = (runs: readonly RunAt[]): TrackRecord =>
  [...runs]
    .sort((a, b) => a.endedAt - b.endedAt)
    .reduce(
      (r, x) =>
        addOutcome(
          r,
          { ok: x.ok, durationMs: 1_000, ...(x.costUsd !== undefined ? { costUsd: x.costUsd } : {}) },
          x.endedAt,
        ),
      emptyRecord(T0),
    );

const run = fc.record({
  endedAt: fc.integer({ min: T0, max: T0 + 6 * HALF_LIFE_MS }),
  ok: fc.boolean(),
  costUsd: fc.option(fc.double({ min: 0, max: 50, noNaN: true }), { nil: undefined }),
});

function expectSame(got: TrackRecord, want: TrackRecord): void {
  expect([got.n, got.updatedAt, got.successes, got.failures, got.durationMs]).toEqual([
    want.n,
    want.updatedAt,
    want.successes,
    want.failures,
    want.durationMs,
  ]);
  expect(got.costUsd.w).toBeCloseTo(want.costUsd.w, 9);
  expect(got.costUsd.mean).toBeCloseTo(want.costUsd.mean, 6);
  expect(got.costUsd.m2).toBeCloseTo(want.costUsd.m2, 4);
}

describe("a track record's cost revised after the run was counted", () => {
  it("equals the record folded with the new cost, for any run of any history", () => {
    fc.assert(
      fc.property(
        fc.array(run, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.double({ min: 0, max: 80, noNaN: true }),
        (runs, pick, to) => {
          const i = pick % runs.length;
          const was = runs[i] as RunAt;
          const revised = reviseRecordCost(fold(runs), was.endedAt, was.costUsd, to);
          expectSame(revised, fold(runs.map((r, j) => (j === i ? { ...r, costUsd: to } : r))));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("is the record itself when nothing changes, and ignores a cost that is no measurement", () => {
    const r = fold([{ endedAt: T0, ok: false, costUsd: 1 }]);
    expect(reviseRecordCost(r, T0, 1, 1)).toBe(r);
    expect(reviseRecordCost(r, T0, 1, Number.NaN)).toBe(r);
    expect(reviseRecordCost(r, T0, 1, -2)).toBe(r);
    expect(reviseRecordCost(r, T0, 1, 9).costUsd.mean).toBe(9);
  });
});

describe("an experiment arm's cost revised", () => {
  const spec = {
    jobClass: "lang:rust",
    arms: { A: {}, B: {} },
    split: 0.5,
    guardrail: { metric: "cost" as const, margin: 0.1, confidence: 0.9 },
    minSamples: 5,
  };
  const running = (): Experiment => {
    const e = newExperiment("ex_1", spec, T0, "admin");
    return { ...e, counts: { ...e.counts, A: { ...e.counts.A, cost: { n: 2, sum: 4, sumSq: 10 } } } };
  };

  it("replaces the sample in a running arm, or adds one the run had not reported", () => {
    const e = running();
    expect(reviseArmCost(e, "A", 1, 9).counts.A.cost).toEqual({ n: 2, sum: 12, sumSq: 90 });
    expect(reviseArmCost(e, "A", undefined, 9).counts.A.cost).toEqual({ n: 3, sum: 13, sumSq: 91 });
    expect(reviseArmCost(e, "A", 1, 9).counts.B).toBe(e.counts.B);
    expect(reviseArmCost(e, "A", 1, 9).looks).toBe(e.looks); // a revision is no look
  });

  it("leaves a decided experiment, a same cost and a cost that is no measurement as they are", () => {
    const e = running();
    expect(reviseArmCost({ ...e, status: "concluded" }, "A", 1, 9).counts.A.cost).toEqual(e.counts.A.cost);
    expect(reviseArmCost(e, "A", 1, 1)).toBe(e);
    expect(reviseArmCost(e, "A", 1, Number.POSITIVE_INFINITY)).toBe(e);
    expect(reviseSample({ n: 0, sum: 0, sumSq: 0 }, 1, 9)).toEqual({ n: 0, sum: 0, sumSq: 0 });
  });
});

describe("a closed run's insights raised to what it was charged", () => {
  it("raise cost and tokens to the mark, the tokens' shortfall on tokensIn", () => {
    expect(raisedToMark({ costUsd: 1 }, { costUsd: 1, tokens: 1_500_000 })).toEqual({
      costUsd: 1,
      tokensIn: 1_500_000,
    });
    expect(raisedToMark(undefined, { costUsd: 2, tokens: 10 })).toEqual({ costUsd: 2, tokensIn: 10 });
    const kept = { tokensIn: 10, tokensOut: 100, costUsd: 3, diffStat: { files: 1, insertions: 2, deletions: 0 } };
    expect(raisedToMark(kept, { costUsd: 4, tokens: 150 })).toEqual({ ...kept, tokensIn: 50, costUsd: 4 });
  });

  it("never lower a figure, and answer the same insights when nothing rises", () => {
    const kept = { tokensIn: 10, tokensOut: 100, costUsd: 3 };
    expect(raisedToMark(kept, { costUsd: 1, tokens: 50 })).toBe(kept);
    expect(raisedToMark(undefined, { costUsd: 0, tokens: 0 })).toBeUndefined();
    expect(raisedToMark({ tokensIn: 5 }, { costUsd: 0, tokens: 9 })).toEqual({ tokensIn: 9 }); // no cost made up
  });
});
