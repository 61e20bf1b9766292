// The cost guardrail keeps its stated false-positive rate on skewed costs with an uneven split (core/sequential-test
// `welch`, core/experiment `observe`): identical lognormal cost arms (most runs cheap, a few dear) with 5 % of the
// jobs in arm B are concluded at most at 1 − confidence. The small arm's few runs used to look cheap and steady
// together, so the big arm "cost more" in ~10 % of A/A experiments at a stated 5 %. It still finds a real
// difference: arm B costing twice as much at an even split is concluded against B. Seeded simulations (mulberry32).
import { describe, expect, it } from "vitest";
import { type Experiment, newExperiment, observe } from "../../src/core/experiment.ts";
import { mulberry32 } from "../support/seeded-random.ts";

/** mulberry32 (test/support/seeded-random): every simulated stream can be replayed. */
const rng = mulberry32;

/** A lognormal draw exp(σ·N(0, 1)) (Box–Muller): a run cost's long right tail. */
const lognormal = (r: () => number, sigma: number, scale = 1) =>
  scale * Math.exp(sigma * Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r()));

/**
 * `sims` cost experiments of ≤ `max` runs, costs lognormal(σ) with arm B's scaled by `scaleB`; answers the share
 * concluded, and how many of those against B.
 */
function conclude(sims: number, max: number, split: number, confidence: number, sigma: number, scaleB: number) {
  let concluded = 0;
  let againstB = 0;
  for (let s = 0; s < sims; s++) {
    const r = rng(101 + s * 7_919);
    let e: Experiment = newExperiment(
      `ex_${s}`,
      {
        jobClass: "lang:rust",
        arms: { A: {}, B: {} },
        split,
        guardrail: { metric: "cost", margin: 0, confidence },
        minSamples: 5,
      },
      0,
      "op",
    );
    for (let i = 0; i < max && e.status === "running"; i++) {
      const arm = r() < split ? "B" : "A";
      e = observe(e, arm, true, lognormal(r, sigma, arm === "B" ? scaleB : 1), i);
    }
    if (e.status === "concluded") {
      concluded += 1;
      if (e.decision?.loser === "B") againstB += 1;
    }
  }
  return { rate: concluded / sims, againstB };
}

/** 3 standard deviations of a rate estimated from `sims` draws at true rate `p`: the test's tolerance. */
const tol = (p: number, sims: number) => 3 * Math.sqrt((p * (1 - p)) / sims);

describe("cost guardrail on skewed costs, uneven split", () => {
  it("concludes identical arms at most at 1 − confidence", () => {
    const SIMS = 800;
    for (const [split, confidence] of [
      [0.05, 0.95],
      [0.05, 0.8],
    ] as const) {
      const alpha = 1 - confidence;
      const { rate } = conclude(SIMS, 600, split, confidence, 1.5, 1);
      expect(rate, `split ${split} at confidence ${confidence}`).toBeLessThanOrEqual(alpha + tol(alpha, SIMS));
    }
  }, 60_000); // ~1.6 M simulated outcomes: a few seconds alone, more beside the rest of the unit layer

  it("still concludes against an arm B that costs twice as much, at an even split", () => {
    const SIMS = 300;
    const { rate, againstB } = conclude(SIMS, 500, 0.5, 0.95, 1, 2);
    expect(rate).toBeGreaterThan(0.5);
    expect(againstB / SIMS).toBe(rate);
  });
});
