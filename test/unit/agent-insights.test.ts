// What a run reports: the engine's gf_insights line, the diff stat, budgets, and exit → outcome.
import { describe, expect, it } from "vitest";
import { budgetBreach, parseInsightsLine, parseShortstat, reportInsights } from "../../src/agent/insights.ts";
import { resultOf } from "../../src/agent/report.ts";

describe("parseInsightsLine", () => {
  it("reads tokensIn, tokensOut and costUsd from a gf_insights line", () => {
    expect(parseInsightsLine('{"gf_insights": {"tokensIn": 1200, "tokensOut": 340, "costUsd": 0.0123}}')).toEqual({
      tokensIn: 1200,
      tokensOut: 340,
      costUsd: 0.0123,
    });
    expect(parseInsightsLine('  {"gf_insights":{"tokensIn":5}}  ')).toEqual({ tokensIn: 5 });
  });

  it("ignores ordinary output, broken JSON, other JSON and nonsense values", () => {
    expect(parseInsightsLine("compiling…")).toBeUndefined();
    expect(parseInsightsLine('{"gf_insights": {"tokensIn": 1')).toBeUndefined();
    expect(parseInsightsLine('{"other": 1, "note": "gf_insights"}')).toBeUndefined();
    expect(parseInsightsLine('{"gf_insights": 3}')).toBeUndefined();
    expect(parseInsightsLine('{"gf_insights": {"tokensIn": -5, "tokensOut": "7", "costUsd": 1.5}}')).toEqual({
      costUsd: 1.5,
    });
  });
});

describe("parseShortstat", () => {
  it("reads git's shortstat in all its singular/plural/missing forms", () => {
    expect(parseShortstat(" 3 files changed, 10 insertions(+), 2 deletions(-)")).toEqual({
      files: 3,
      insertions: 10,
      deletions: 2,
    });
    expect(parseShortstat(" 1 file changed, 1 insertion(+)")).toEqual({ files: 1, insertions: 1, deletions: 0 });
    expect(parseShortstat(" 1 file changed, 4 deletions(-)")).toEqual({ files: 1, insertions: 0, deletions: 4 });
    expect(parseShortstat("")).toEqual({ files: 0, insertions: 0, deletions: 0 });
  });
});

describe("budgetBreach", () => {
  it("flags tokens over budget (in + out) and cost over budget", () => {
    expect(budgetBreach({ tokens: 1000 }, { tokensIn: 600, tokensOut: 401 })).toMatch(/1001 tokens/);
    expect(budgetBreach({ tokens: 1000 }, { tokensIn: 600, tokensOut: 400 })).toBeUndefined();
    expect(budgetBreach({ usd: 0.5 }, { costUsd: 0.51 })).toBe("spent $0.51, budget is $0.50");
    expect(budgetBreach({}, { tokensIn: 1e9, costUsd: 1e5 })).toBeUndefined();
  });
});

describe("reportInsights", () => {
  it("combines usage and diff stat, leaving out what is unknown", () => {
    expect(reportInsights({ tokensIn: 1 }, { files: 1, insertions: 2, deletions: 0 })).toEqual({
      tokensIn: 1,
      diffStat: { files: 1, insertions: 2, deletions: 0 },
    });
    expect(reportInsights({})).toEqual({});
  });
});

describe("resultOf", () => {
  const exit = { rc: 0, signal: null, durationMs: 1234 };

  it("rc 0 is a success, reported with complete", () => {
    expect(resultOf(exit, {})).toEqual({ type: "complete", result: { outcome: "success", rc: 0 } });
  });

  it("a non-zero rc is a (retryable) failure carrying the last stderr line", () => {
    expect(resultOf({ ...exit, rc: 2 }, { lastError: "tests failed" })).toEqual({
      type: "fail",
      result: { rc: 2, outcome: "failure", message: "engine exited with code 2: tests failed" },
    });
  });

  it("a wall-budget stop is budget_exceeded and not retryable, whatever the rc", () => {
    const r = resultOf({ ...exit, rc: 143, stoppedFor: "budget_wall", durationMs: 2100 }, { wallSeconds: 2 });
    expect(r.type).toBe("fail");
    expect(r.result).toMatchObject({ outcome: "budget_exceeded", retryable: false, rc: 143 });
    expect(r.result.message).toMatch(/wall-clock budget of 2s/);
  });

  it("a usage-budget stop says which budget", () => {
    const r = resultOf(
      { ...exit, rc: null, signal: "SIGTERM", stoppedFor: "budget_usage" },
      { usageBreach: "used 9 tokens, budget is 5" },
    );
    expect(r.result).toEqual({
      outcome: "budget_exceeded",
      message: "budget exceeded: used 9 tokens, budget is 5",
      retryable: false,
    });
  });

  it("an engine that could not start is a non-retryable failure; a signal death says which signal", () => {
    expect(resultOf({ ...exit, rc: null, spawnError: "cannot start x: ENOENT" }, {}).result).toEqual({
      outcome: "failure",
      message: "cannot start x: ENOENT",
      retryable: false,
    });
    expect(resultOf({ ...exit, rc: null, signal: "SIGKILL" }, {}).result.message).toBe("engine was killed by SIGKILL");
  });
});
