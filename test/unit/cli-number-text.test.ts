// The CLI prints a number so that it tells what is so (cli/number-text): `settings` shows every setting as stored —
// a router weight or retry delay of 1e-7 read "0" at six decimals — and `explain` a term's weight whole when finer
// than its column's three decimals, and a track's mean run of seconds not as "0.0 min"; a rate (metrics' seat use and factory success, explain's track success,
// an experiment arm's rate) is rounded, but a rate above 0 never reads 0 and one below 1 never reads 100
// ("<1 %", ">99.9%"), while 0 and 1 exactly still do.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderExplanation, trackLine } from "../../src/cli/commands/explain.ts";
import { formatMetrics } from "../../src/cli/commands/metrics.ts";
import { type ExperimentView, formatExperiment } from "../../src/cli/commands/routing-experiment.ts";
import { formatSettings } from "../../src/cli/commands/settings.ts";
import { decimalsOrSignificant, decimalsOrStored, percentNumber, storedNumber } from "../../src/cli/number-text.ts";
import { agingGuarantee } from "../../src/core/aging.ts";
import { type Candidate, DEFAULT_WEIGHTS } from "../../src/core/router.ts";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";
import type { Explanation } from "../../src/shared/responses.ts";
import { metricsFixture } from "../support/fixtures.ts";

describe("settings print what was stored", () => {
  const answer = (patch: Partial<typeof DEFAULT_SETTINGS>) => {
    const s = { ...DEFAULT_SETTINGS, ...patch };
    return { ...s, aging: agingGuarantee(s.weights, s.agingHorizonMinutes) };
  };

  it("a weight of 1e-7 is 1e-7, not 0; a finer retry delay and jitter as given", () => {
    const text = formatSettings(
      answer({
        weights: { ...DEFAULT_SETTINGS.weights, load: 1e-7, affinity: 0.1234567 },
        retry: { baseSeconds: 0.0000005, maxSeconds: 1e6, jitter: 0.3333333333 },
      }),
    );
    expect(text).toMatch(/^weights\s+.*\bload 1e-7\b/m);
    expect(text).toMatch(/^weights\s+.*\baffinity 0\.1234567\b/m);
    expect(text).toMatch(/^retry\s+base 5e-7 s · max 1000000 s · jitter 0\.3333333333$/m);
  });

  it("every stored number reads back as itself (property)", () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (w) => Number(storedNumber(w)) === w));
  });
});

describe("explain shows a term's weight whole when finer than three decimals", () => {
  it("2.5 is 2.500 in its column; 1e-7 and 0.12345 as set", () => {
    expect(decimalsOrStored(2.5, 3)).toBe("2.500");
    expect(decimalsOrStored(1e-7, 3)).toBe("1e-7");
    expect(decimalsOrStored(0.12345, 3)).toBe("0.12345");
    const candidate = {
      factoryId: "fac_a",
      factoryName: "a",
      eligible: true,
      reasons: [],
      score: 0,
      terms: { load: { raw: 0.5, weight: 1e-7, contribution: 5e-8 } },
    } as unknown as Candidate;
    const explanation = {
      jobId: "job_1",
      stage: "queued",
      priority: "medium",
      at: 0,
      weights: DEFAULT_WEIGHTS,
      urgency: 1,
      holderFactoryId: null,
      waitingReason: null,
      ranked: [candidate],
      rejected: [],
      exclusions: [],
      preemption: { preemptedAt: null, preemptedBy: null, wouldPreempt: null, notBecause: "not_critical" },
      routingPolicy: null,
    } as unknown as Explanation;
    expect(renderExplanation(explanation)).toMatch(/load\s+0\.500\s+1e-7\s+\+0\.000/);
  });
});

describe("a rate is never rounded to an end it has not reached", () => {
  it("percentNumber: <1 and >99 inside (0, 1); 0 and 100 only at the ends", () => {
    expect(percentNumber(0)).toBe("0");
    expect(percentNumber(1)).toBe("100");
    expect(percentNumber(0.001)).toBe("<1");
    expect(percentNumber(0.996)).toBe(">99");
    expect(percentNumber(0.9996, 1)).toBe(">99.9");
    expect(percentNumber(0.0004, 1)).toBe("<0.1");
    expect(percentNumber(0.125, 1)).toBe("12.5");
    expect(percentNumber(0.5)).toBe("50");
  });

  it("a rate strictly between 0 and 1 never reads 0 or 100 (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 3 }), (r, d) => {
        const text = percentNumber(r, d);
        if (r > 0 && r < 1) expect(["0", "100"]).not.toContain(text);
        else expect(text).toBe(r === 0 ? "0" : "100");
      }),
    );
  });

  it("metrics: 1,999 of 2,000 seats busy is not 100%; 199 of 200 runs is not 100%", () => {
    const m = metricsFixture({
      seats: { busy: 1999, total: 2000, utilisation: 0.9995 },
      factories: [{ id: "f1", name: "box-a", runs: 2000, successes: 1999, successRate: 0.9995 }],
    });
    const text = formatMetrics(m);
    expect(text).toMatch(/seats\s+1999\/2000 busy \(>99\.9%\)$/m);
    expect(text).toMatch(/^box-a\s+2000\s+1999\s+>99\.9%$/m);
  });

  it("explain's mean run of 2 s is 0.033 min, not 0.0; a longer one keeps its tenth", () => {
    const track = (durationMinutes: number) =>
      ({
        track: {
          raw: 0.6,
          jobClass: "docs",
          engine: "claude",
          n: 20,
          successRate: 0.5,
          durationMinutes,
          neutral: false,
        },
      }) as unknown as Candidate;
    expect(trackLine(track(2 / 60))).toContain("0.033 min/run");
    expect(trackLine(track(12.34))).toContain("12.3 min/run");
    expect(trackLine(track(0))).toContain("0.0 min/run");
    expect(decimalsOrSignificant(1e-7, 1)).toBe("1e-7");
  });

  it("explain's track success and an experiment arm's rate alike", () => {
    const track = { raw: 0.6, jobClass: "docs", engine: "claude", n: 200, successRate: 0.996, neutral: false };
    expect(trackLine({ track } as unknown as Candidate)).toContain("success >99 %");
    const arm = (successRate: number) => ({ n: 1000, successes: 1, successRate, meanCostUsd: null, policy: {} });
    const view: ExperimentView = {
      id: "ex_1",
      jobClass: "docs",
      status: "running",
      split: 0.5,
      guardrail: { metric: "cost", margin: 0.001, confidence: 0.95 },
      minSamples: 20,
      startedAt: 0,
      startedBy: "op",
      looks: 1,
      arms: { A: arm(0.001), B: arm(1) },
      decision: null,
    };
    const text = formatExperiment(view);
    expect(text).toMatch(/\nA\s+1000\s+1\s+<1 %\s+/);
    expect(text).toMatch(/\nB\s+1000\s+1\s+100 %\s+/);
  });
});
