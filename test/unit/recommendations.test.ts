// Recommendations (core/recommendations, issue 11 part 3): a factory that fails a job class clearly more often than
// the same engine elsewhere is named with its numbers ("fails 40 % of `lang:rust` jobs (n=20) vs 5 % elsewhere"),
// as is one that costs ≥ 2× the fleet median; nothing is said below MIN_N runs, for a gap under FAIL_GAP, or for
// noise (a two-proportion z under 1.96); each finding carries a stable id and the avoid rule that would act on it.
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
import { addOutcome, emptyRecord, type TrackRecord } from "../../src/core/track-record.ts";

const NOW = 1_700_000_000_000;

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
      "claude on gpu-1 costs 3.1× the fleet median for `class:docs` jobs ($3.10 vs $1.00, n=12)",
    );
  });

  it("is silent under the ratio, without a reported cost, or with too few runs", () => {
    expect(recommend([keyed("a", record(12, 0, 1.9)), keyed("b", record(12, 0, 1))], NOW)).toEqual([]);
    expect(recommend([keyed("a", record(12, 0)), keyed("b", record(12, 0, 1))], NOW)).toEqual([]);
    expect(recommend([keyed("a", record(MIN_N - 1, 0, 9)), keyed("b", record(12, 0, 1))], NOW)).toEqual([]);
  });
});
