// The dashboard's learned-routing helpers (dashboard/learned.js, issue 11 part 5): a factory's track records become
// short lines (its own only, most samples first, capped, the default engine named); the learned term's evidence reads
// as neutral below min n (with the decayed weight min n is held to when it is below n) and otherwise carries the
// rate, interval and cost; an experiment's series becomes uPlot columns in seconds with per-arm counts and success
// rates; the decision reads by who made it.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { armColumns, decisionText, trackEvidence, trackLines } from "../../dashboard/learned.js";

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
      "codex · lang:rust — 92 % ok (n=12) · $0.40/run",
      "default engine · docs — 100 % ok (n=2)",
    ]);
    expect(trackLines(records, "nobody")).toEqual([]);
  });

  it("trackEvidence: neutral below min n, else rate, interval and cost", () => {
    const base = { n: 3, neutral: true, jobClass: "lang:rust", engine: "codex" };
    expect(trackEvidence(base)).toBe("learned (codex · lang:rust): n=3 — neutral (too few runs to judge)");
    const full = { ...base, n: 12, neutral: false, successRate: 0.5, ci95: [0.25, 0.75], costUsd: 1 };
    expect(trackEvidence(full)).toBe("learned (codex · lang:rust): n=12 · 50 % ok (95 % 25 %–75 %) · $1.00/run");
    // Twelve old runs weighing three after the decay: neutral, and the line says why twelve were too few.
    expect(trackEvidence({ ...base, n: 12, effectiveN: 3 })).toBe(
      "learned (codex · lang:rust): n=12 (weighing 3 after decay) — neutral (too few runs to judge)",
    );
    expect(trackEvidence({ ...full, effectiveN: 12 })).toBe(trackEvidence(full));
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
