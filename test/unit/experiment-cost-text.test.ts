// A cost below a cent is not $0.00 (core/usd-text, dashboard/usd.js): whole cents print as cents, a fraction of a
// cent with two significant digits ($0.0012). The CLI's experiment view, a cost recommendation's message and the
// dashboard's experiment card all print a sub-cent mean that way, and the dashboard's copy of the rule agrees with
// core's for any amount. A negative amount is its size with a leading `-` in every branch (`-<$0.000001` too).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { usdText as dashboardUsd } from "../../dashboard/usd.js";
import { type ExperimentView, formatExperiment } from "../../src/cli/commands/routing-experiment.ts";
import { type KeyedTrack, recommend } from "../../src/core/recommendations.ts";
import { addOutcome, emptyRecord, type TrackRecord } from "../../src/core/track-record.ts";
import { usdText } from "../../src/core/usd-text.ts";

const NOW = 1_700_000_000_000;

describe("usdText", () => {
  it("prints cents as cents and a fraction of a cent with two significant digits", () => {
    expect(usdText(0)).toBe("$0.00");
    expect(usdText(0.05)).toBe("$0.05");
    expect(usdText(12.3)).toBe("$12.30");
    expect(usdText(0.0012)).toBe("$0.0012");
    expect(usdText(0.00123)).toBe("$0.0012");
    expect(usdText(0.005)).toBe("$0.0050");
    expect(usdText(0.000047)).toBe("$0.000047");
    expect(usdText(0.00999)).toBe("$0.01");
    expect(usdText(-0.0012)).toBe("-$0.0012");
    expect(usdText(Number.NaN)).toBe("—");
    expect(usdText(4e-9)).toBe("<$0.000001");
    expect(usdText(Number.MIN_VALUE)).toBe("<$0.000001");
    // A negative amount keeps its sign in every branch: a tiny credit is not a tiny charge.
    expect(usdText(-4e-9)).toBe("-<$0.000001");
    expect(usdText(-Number.MIN_VALUE)).toBe("-<$0.000001");
    expect(usdText(-0.00999)).toBe("-$0.01");
    expect(usdText(-12.3)).toBe("-$12.30");
    expect(usdText(-0)).toBe("$0.00");
    // Rounding up to a power of ten keeps two significant digits, not three.
    expect(usdText(0.000999)).toBe("$0.0010");
    expect(usdText(0.0000099996)).toBe("$0.000010");
    expect(usdText(0.0000995)).toBe("$0.00010");
  });

  it("never prints a positive amount as $0.00, and the dashboard's copy agrees", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        expect(dashboardUsd(x)).toBe(usdText(x));
        if (x > 0) expect(usdText(x)).not.toMatch(/^\$0\.0+$/);
        // Below a cent: exactly two significant digits.
        const t = usdText(Math.abs(x));
        if (Math.abs(x) >= 1e-6 && Math.abs(x) < 0.01 && t !== "$0.01")
          expect(t.replace(/^\$0\.0*/, "")).toMatch(/^\d{2}$/);
      }),
      { numRuns: 500 },
    );
  });

  it("prints a negative amount as its size with a leading -, in every branch, and the dashboard's copy agrees", () => {
    // Sizes from every branch: under a millionth, below a cent, a cent and up.
    const size = fc.oneof(
      fc.double({ min: Number.MIN_VALUE, max: 1e-6, noNaN: true }),
      fc.double({ min: 1e-6, max: 0.01, noNaN: true }),
      fc.double({ min: 0.01, max: 1e6, noNaN: true }),
    );
    fc.assert(
      fc.property(size, (x) => {
        expect(usdText(-x)).toBe(`-${usdText(x)}`);
        expect(usdText(x)).not.toMatch(/^-/);
        expect(dashboardUsd(-x)).toBe(usdText(-x));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("where a run's cost is printed", () => {
  it("the CLI's experiment view shows an arm's sub-cent mean cost", () => {
    const arm = (meanCostUsd: number | null) => ({ n: 10, successes: 9, successRate: 0.9, meanCostUsd, policy: {} });
    const view: ExperimentView = {
      id: "ex_1",
      jobClass: "lang:rust",
      status: "running",
      split: 0.5,
      guardrail: { metric: "cost", margin: 0.001, confidence: 0.95 },
      minSamples: 20,
      startedAt: 1_700_000_000_000,
      startedBy: "op",
      looks: 1,
      arms: { A: arm(0.0012), B: arm(0.05) },
      decision: null,
    };
    const text = formatExperiment(view);
    expect(text).toMatch(/\nA\s+10\s+9\s+90 %\s+\$0\.0012\s+/);
    expect(text).toMatch(/\nB\s+10\s+9\s+90 %\s+\$0\.05\s+/);
  });

  it("a cost recommendation names sub-cent means as they are", () => {
    const record = (usd: number): TrackRecord => {
      let r = emptyRecord(NOW);
      for (let i = 0; i < 12; i++) r = addOutcome(r, { ok: true, durationMs: 60_000, costUsd: usd }, NOW);
      return r;
    };
    const keyed = (factoryId: string, usd: number): KeyedTrack => ({
      factoryId,
      engine: "codex",
      jobClass: "lang:rust",
      record: record(usd),
    });
    const [found] = recommend([keyed("f1", 0.006), keyed("f2", 0.0012), keyed("f3", 0.0012)], NOW);
    expect(found?.message).toBe(
      "codex on f1 costs 5.0× the fleet median for `lang:rust` jobs ($0.0060 vs $0.0012, n=12 with a reported cost)",
    );
  });
});
