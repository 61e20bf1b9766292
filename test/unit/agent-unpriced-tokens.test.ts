// A run's insights say how many of its tokens no USD came for (`unpricedTokens`, core/unpriced): all of a Codex run's
// (Codex reports tokens only), all of a Claude run's cut before its `result` line (the per-call tally has no cost),
// none once Claude's result brings the USD, none of a gf_insights engine's that reports its cost; a resumed run's
// earlier unpriced spend counts too. The report the agent sends carries the field, and the coordinator accepts it.
import { describe, expect, it } from "vitest";
import { reportInsights, runUsage, UsageMeter } from "../../src/agent/insights.ts";
import { InsightsBody } from "../../src/shared/api-work.ts";
import { CLAUDE_STREAM, CODEX_JSONL } from "./engine-output-samples.ts";

const feed = (meter: UsageMeter, lines: string[]) => {
  for (const l of lines) meter.line(l);
  return meter.usage;
};

describe("unpricedTokens in a run's insights", () => {
  it("a Codex run: every token it reported is unpriced", () => {
    const usage = feed(new UsageMeter({}), CODEX_JSONL);
    expect(usage).toEqual({ tokensIn: 50_000, tokensOut: 300, unpricedTokens: 50_300 });
    expect(InsightsBody.parse(reportInsights(usage))).toEqual(usage);
  });

  it("a Claude run cut before its result: the tally's tokens are unpriced; the result prices them all", () => {
    const cut = feed(new UsageMeter({}), CLAUDE_STREAM.slice(0, -1));
    expect(cut).toEqual({ tokensIn: 12_003, tokensOut: 120, unpricedTokens: 12_123 });
    const whole = feed(new UsageMeter({}), CLAUDE_STREAM);
    expect(whole).toEqual({ tokensIn: 24_006, tokensOut: 240, costUsd: 0.123456 }); // absent: 0, all priced
  });

  it("an engine that reports its cost has none unpriced; one that reports tokens alone has them all", () => {
    const priced = feed(new UsageMeter({}), ['{"gf_insights": {"tokensIn": 10, "tokensOut": 5, "costUsd": 0}}']);
    expect(priced.unpricedTokens).toBeUndefined();
    const bare = feed(new UsageMeter({}), ['{"gf_insights": {"tokensIn": 10, "tokensOut": 5}}']);
    expect(bare.unpricedTokens).toBe(15);
    // No tokens at all: nothing to say (the field stays absent, as it is from an older agent).
    expect(feed(new UsageMeter({}), ['{"gf_insights": {"costUsd": 0.5}}'])).toEqual({ costUsd: 0.5 });
  });

  it("a resumed run: an earlier engine's unpriced tokens count with the fresh engine's", () => {
    expect(runUsage({ usd: 0, tokens: 700 }, { tokensIn: 100, tokensOut: 50 })).toEqual({
      tokensIn: 800,
      tokensOut: 50,
      unpricedTokens: 850,
    });
    // The earlier spend was priced; the fresh engine's is not.
    expect(runUsage({ usd: 0.5, tokens: 700 }, { tokensIn: 100, tokensOut: 50 }).unpricedTokens).toBe(150);
    // Both priced.
    expect(runUsage({ usd: 0.5, tokens: 700 }, { tokensIn: 100, costUsd: 0.1 }).unpricedTokens).toBeUndefined();
  });

  it("the wire bounds the field: a whole number, 0…2 × 10¹²", () => {
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: -1 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: 1.5 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: 2e12 + 1 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: 1 }).success).toBe(true);
  });
});
