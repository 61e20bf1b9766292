// The dashboard's learned-routing helpers (dashboard/learned.js, issue 11 part 5): a factory's track records become
// short lines (its own only, most samples first, capped, the default engine named); the learned term's evidence reads
// as neutral below min n (with the decayed weight min n is held to when it is below n) and otherwise carries the
// rate, interval and cost; an experiment's series becomes uPlot columns in seconds with per-arm counts and success
// rates; the decision reads by who made it. One record reads alike across the dashboard: a card line gives the raw
// share ("100 % ok (n=9)") and beside it the router's estimate, named so, the very number explain's evidence gives
// (core/track-term: the Beta(1, 1) mean of the record decayed to now, "router's estimate 91 % ok") — the card said
// "100 % ok" and explain "91 % ok" of one record, with nothing to say why.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  armColumns,
  decisionText,
  routerEstimate,
  TRACK_HALF_LIFE_MS,
  trackEvidence,
  trackLines,
  // @ts-expect-error plain browser JavaScript, typed by JSDoc only
} from "../../dashboard/learned.js";
import { decayTo, HALF_LIFE_MS, successRate } from "../../src/core/track-record.ts";
import { trackTerms } from "../../src/core/track-term.ts";

const rec = (factoryId: string, engine: string, jobClass: string, successes: number, failures: number, cost = 0) => ({
  factoryId,
  engine,
  jobClass,
  record: { successes, failures, n: successes + failures, costUsd: { w: cost ? 1 : 0, mean: cost, m2: 0 } },
});

describe("dashboard learned routing", () => {
  it("trackLines: the factory's own records, most samples first, capped", () => {
    const records = [
      rec("f1", "*", "docs", 2, 0),
      rec("f1", "codex", "lang:rust", 11, 1, 0.4),
      rec("f2", "codex", "lang:rust", 1, 9),
      rec("f1", "claude", "a", 1, 0),
    ];
    expect(trackLines(records, "f1", 2).map((l: { text: string }) => l.text)).toEqual([
      "codex · lang:rust — 92 % ok (n=12) · router's estimate 86 % · $0.40/run",
      "default engine · docs — 100 % ok (n=2) · router's estimate 75 %",
    ]);
    expect(trackLines(records, "nobody")).toEqual([]);
  });

  it("trackEvidence: neutral below min n, else rate, interval and cost", () => {
    const base = { n: 3, neutral: true, jobClass: "lang:rust", engine: "codex" };
    expect(trackEvidence(base)).toBe("learned (codex · lang:rust): n=3 — neutral (too few runs to judge)");
    const full = { ...base, n: 12, neutral: false, successRate: 0.5, ci95: [0.25, 0.75], costUsd: 1 };
    expect(trackEvidence(full)).toBe(
      "learned (codex · lang:rust): n=12 · router's estimate 50 % ok (95 % 25 %–75 %) · $1.00/run",
    );
    // Twelve old runs weighing three after the decay: neutral, and the line says why twelve were too few.
    expect(trackEvidence({ ...base, n: 12, effectiveN: 3 })).toBe(
      "learned (codex · lang:rust): n=12 (weighing 3 after decay) — neutral (too few runs to judge)",
    );
    expect(trackEvidence({ ...full, effectiveN: 12 })).toBe(trackEvidence(full));
  });

  it("names the router's estimate on a card as explain names it, and gives the same number at the same instant", () => {
    expect(TRACK_HALF_LIFE_MS).toBe(HALF_LIFE_MS);
    const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
    // The newcomer's record: 9 successes of 9. The card said "100 % ok", explain "91 % ok", neither said why.
    const nine = {
      successes: 9,
      failures: 0,
      n: 9,
      durationMs: { w: 0, mean: 0, m2: 0 },
      costUsd: { w: 0, mean: 0, m2: 0 },
    };
    const stored = { ...nine, updatedAt: NOW };
    const [line] = trackLines([{ factoryId: "f", engine: "*", jobClass: "-", record: stored }], "f", 4, NOW);
    expect(line.text).toBe("default engine · no class (-) — 100 % ok (n=9) · router's estimate 91 %");
    const job = { requires: [], engine: undefined, manifest: undefined } as never;
    const track = { objective: "success_per_usd" as const, minSamples: 5, recordOf: () => stored };
    const ev = trackTerms(job, [{ id: "f" }], track, NOW).get("f");
    expect(trackEvidence(ev)).toContain("router's estimate 91 % ok");
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.integer({ min: 0, max: 90 * 86_400_000 }),
        (successes, failures, age) => {
          const r = { ...nine, successes, failures, updatedAt: NOW - age };
          const core = successRate(decayTo(r, NOW));
          expect(routerEstimate(r, NOW)).toBeCloseTo(core, 12);
          expect(trackTerms(job, [{ id: "f" }], { ...track, recordOf: () => r }, NOW).get("f")?.successRate).toBe(core);
        },
      ),
    );
  });

  it("armColumns and decisionText", () => {
    const series = [
      { at: 1000, A: { n: 1, successes: 1 }, B: { n: 0, successes: 0 } },
      { at: 3000, A: { n: 1, successes: 1 }, B: { n: 3, successes: 1 } },
    ];
    expect(armColumns(series)).toEqual([
      [1, 3],
      [1, 1],
      [0, 3],
      [100, 100],
      [null, 33.3],
    ]);
    expect(decisionText({ status: "running", decision: null })).toBe("Running: no decision yet.");
    const d = { by: "guardrail", winner: "A", reason: "arm B is worse" };
    expect(decisionText({ status: "concluded", decision: d })).toBe("Guardrail: arm A wins — arm B is worse");
  });
});
