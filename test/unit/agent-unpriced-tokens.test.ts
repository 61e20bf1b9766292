// A run's insights say how many of its tokens no USD came for (`unpricedTokens`, core/unpriced): all of a Codex run's
// (Codex reports tokens only), all of a Claude run's cut before its `result` line (the per-call tally has no cost),
// none once Claude's result brings the USD, none of a gf_insights engine's that reports its cost; a resumed run's
// earlier unpriced spend counts too, and its report says how many of its tokensIn are that earlier sum (`baseTokens`,
// only when folded with its split unknown and unpriced; capped with tokensIn) — none when the coordinator kept the
// run's written part (the base is folded by side) or the base was priced. The report the agent sends carries the fields, and the coordinator
// accepts them — but not a baseTokens over tokensIn.
import { describe, expect, it } from "vitest";
import { reportInsights, UsageMeter } from "../../src/agent/insights.ts";
import { runUsage } from "../../src/agent/run-usage.ts";
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
      baseTokens: 700,
    });
    // The earlier spend was priced; the fresh engine's is not.
    expect(runUsage({ usd: 0.5, tokens: 700 }, { tokensIn: 100, tokensOut: 50 }).unpricedTokens).toBe(150);
    // Both priced.
    expect(runUsage({ usd: 0.5, tokens: 700 }, { tokensIn: 100, costUsd: 0.1 }).unpricedTokens).toBeUndefined();
  });

  it("a resumed run says how many of its tokensIn are the earlier engines' sum (baseTokens), only then", () => {
    // The coordinator keeps a run's tokens as one number (in + out): folded into tokensIn, their split is unknown.
    expect(runUsage({ usd: 0, tokens: 700 }, { tokensIn: 100, tokensOut: 50 })).toEqual({
      tokensIn: 800,
      tokensOut: 50,
      unpricedTokens: 850,
      baseTokens: 700,
    });
    // A priced base is none of the unpriced tokens, so none of what the estimate prices: no field — with it, the
    // estimate counted the fresh engine's unpriced tokens as written up to the base's size (core/prices).
    expect(runUsage({ usd: 0.5, tokens: 700 }, { tokensIn: 100, tokensOut: 50 })).toEqual({
      costUsd: 0.5,
      tokensIn: 800,
      tokensOut: 50,
      unpricedTokens: 150,
    });
    // The coordinator kept the written part (welcome runSpent.tokensOut): folded by side, the split known, no field.
    expect(runUsage({ usd: 0, tokens: 700, tokensOut: 200 }, { tokensIn: 100, tokensOut: 50 })).toEqual({
      tokensIn: 600,
      tokensOut: 250,
      unpricedTokens: 850,
    });
    // A priced base (its tokens none of the unpriced ones) goes on tokensIn even with its split known: by side, its
    // written tokens widened the bound of how many of the fresh engine's unpriced tokens the estimate prices as
    // written — 50k read + 5k written unpriced after a $2.00 base of 100k written, at in 3 / out 15 per million,
    // were estimated $0.825 for a true $0.225, kept by the charge's high-water mark (review R3, pass 51).
    expect(runUsage({ usd: 2, tokens: 500_000, tokensOut: 100_000 }, { tokensIn: 50_000, tokensOut: 5_000 })).toEqual({
      costUsd: 2,
      tokensIn: 550_000,
      tokensOut: 5_000,
      unpricedTokens: 55_000,
    });
    const split = new UsageMeter({}, { usd: 0, tokens: 500_000, tokensOut: 100_000 });
    const bySide = feed(split, ['{"gf_insights": {"tokensIn": 100000, "tokensOut": 10000}}']);
    expect(bySide).toEqual({ tokensIn: 500_000, tokensOut: 110_000, unpricedTokens: 610_000 });
    // Nothing folded: no field (a first engine; a base of USD alone; a lease with no spend yet).
    expect(runUsage(undefined, { tokensIn: 100, tokensOut: 50 }).baseTokens).toBeUndefined();
    expect(runUsage({ usd: 0.5, tokens: 0 }, { tokensIn: 100 }).baseTokens).toBeUndefined();
    expect(runUsage({ usd: 0, tokens: 0 }, { tokensIn: 100 }).baseTokens).toBeUndefined();
    // The meter of a resumed lease reports it from the engine's first line; the wire takes it.
    const meter = new UsageMeter({}, { usd: 0, tokens: 500_000 });
    const usage = feed(meter, ['{"gf_insights": {"tokensIn": 100000, "tokensOut": 10000}}']);
    expect(usage).toMatchObject({ tokensIn: 600_000, tokensOut: 10_000, baseTokens: 500_000 });
    expect(InsightsBody.parse(reportInsights(usage))).toEqual(usage);
    // Capped with tokensIn: a base over the bound stays within the tokensIn it is part of.
    const huge = runUsage({ usd: 0, tokens: 2e12 }, { tokensIn: 5 });
    expect(huge.baseTokens).toBe(huge.tokensIn);
    expect(InsightsBody.safeParse(huge).success).toBe(true);
  });

  it("the wire refuses baseTokens over tokensIn (absent tokensIn: 0), or not a whole number ≥ 0", () => {
    expect(InsightsBody.safeParse({ tokensIn: 10, baseTokens: 11 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensOut: 10, baseTokens: 1 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 10, baseTokens: -1 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 10, baseTokens: 1.5 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 10, baseTokens: 10 }).success).toBe(true);
    expect(InsightsBody.safeParse({ tokensIn: 10, baseTokens: 0 }).success).toBe(true);
  });

  it("the wire bounds the field: a whole number, 0…2 × 10¹²", () => {
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: -1 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: 1.5 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: 2e12 + 1 }).success).toBe(false);
    expect(InsightsBody.safeParse({ tokensIn: 1, unpricedTokens: 1 }).success).toBe(true);
  });
});
