// The unpriced-token rules (core/unpriced), with fast-check properties where a bound applies: a run's figure after
// its cumulative reports, delivered in any order and any number of times, is its latest report's — resends and older
// reports move nothing, the USD that comes later prices the tokens (the figure falls) — never more than the report's
// tokens nor below 0, and the period's sum of the changes is that figure; the agent's figure counts a token once
// (the engine's with no USD, an earlier engine's with none); the words group the count and say it is not charged.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accrueUnpriced,
  addUnpriced,
  MAX_UNPRICED_TOKENS,
  type UnpricedMark,
  unpricedOf,
  unpricedWords,
} from "../../src/core/unpriced.ts";

interface Report {
  costUsd: number;
  tokens: number;
  unpricedTokens: number;
}

/** A run's cumulative reports in the order it sent them: USD and tokens never fall; unpriced ≤ tokens. */
const reports = fc
  .array(fc.record({ dTokens: fc.nat(5000), dCost: fc.constantFrom(0, 0, 0.25), priced: fc.boolean() }), {
    minLength: 1,
    maxLength: 12,
  })
  .map((steps) => {
    const out: Report[] = [];
    let tokens = 0;
    let costUsd = 0;
    for (const s of steps) {
      tokens += s.dTokens;
      costUsd += s.dCost;
      const prev = out.at(-1);
      const same = prev && prev.tokens === tokens && prev.costUsd === costUsd;
      const u = s.priced || costUsd > 0 ? 0 : tokens; // Codex-like: all unpriced until a USD comes
      out.push({ costUsd, tokens, unpricedTokens: same ? Math.min(u, prev.unpricedTokens) : u });
    }
    return out;
  });

describe("accrueUnpriced", () => {
  it("any delivery order with resends: the run's figure is its latest report's, the period's sum the same", () => {
    fc.assert(
      fc.property(
        reports.chain((rs) =>
          fc.tuple(fc.constant(rs), fc.shuffledSubarray([...rs.keys(), ...rs.keys()], { minLength: 2 * rs.length })),
        ),
        ([rs, order]) => {
          let mark: UnpricedMark = { costUsd: 0, tokens: 0, unpricedTokens: 0 };
          let sum = 0;
          for (const i of order) {
            const r = rs[i] as Report;
            const { unpricedTokens, delta } = accrueUnpriced(mark, r);
            expect(unpricedTokens).toBeGreaterThanOrEqual(0);
            expect(unpricedTokens).toBeLessThanOrEqual(Math.max(r.tokens, mark.tokens));
            sum = addUnpriced(sum, delta);
            mark = {
              costUsd: Math.max(mark.costUsd, r.costUsd),
              tokens: Math.max(mark.tokens, r.tokens),
              unpricedTokens,
            };
          }
          // Of the reports with the highest USD and tokens (the last ones), the smallest figure stands.
          const last = rs.at(-1) as Report;
          const tied = rs.filter((r) => r.costUsd === last.costUsd && r.tokens === last.tokens);
          expect(mark.unpricedTokens).toBe(Math.min(...tied.map((r) => r.unpricedTokens)));
          expect(sum).toBe(mark.unpricedTokens);
        },
      ),
    );
  });

  it("a resend moves nothing; a report's figure is cut to its tokens; absent reads as 0", () => {
    const seen = { costUsd: 0, tokens: 100, unpricedTokens: 100 };
    expect(accrueUnpriced(seen, { costUsd: 0, tokens: 100, unpricedTokens: 100 })).toEqual({
      unpricedTokens: 100,
      delta: 0,
    });
    expect(accrueUnpriced(seen, { costUsd: 0, tokens: 150, unpricedTokens: 9e9 })).toEqual({
      unpricedTokens: 150,
      delta: 50,
    });
    expect(accrueUnpriced(seen, { costUsd: 0.5, tokens: 150 })).toEqual({ unpricedTokens: 0, delta: -100 });
    expect(accrueUnpriced(seen, { costUsd: 0, tokens: 50, unpricedTokens: 50 })).toEqual({
      unpricedTokens: 100,
      delta: 0,
    }); // older
  });

  it("the period's sum stays within 0 and its bound", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -MAX_UNPRICED_TOKENS, max: MAX_UNPRICED_TOKENS })), (deltas) => {
        let sum = 0;
        for (const d of deltas) {
          sum = addUnpriced(sum, d);
          expect(sum).toBeGreaterThanOrEqual(0);
          expect(sum).toBeLessThanOrEqual(MAX_UNPRICED_TOKENS * 1000);
        }
      }),
    );
  });
});

describe("unpricedOf and the words", () => {
  it("counts the engine's tokens without USD and an earlier engine's without USD, within the bound", () => {
    expect(unpricedOf({ tokensIn: 10, tokensOut: 5 })).toBe(15);
    expect(unpricedOf({ tokensIn: 10, tokensOut: 5, costUsd: 0 })).toBe(0);
    expect(unpricedOf({ tokensIn: 10 }, { usd: 0, tokens: 7 })).toBe(17);
    expect(unpricedOf({ tokensIn: 10, costUsd: 1 }, { usd: 0, tokens: 7 })).toBe(7);
    expect(unpricedOf({ tokensIn: 10 }, { usd: 1, tokens: 7 })).toBe(10);
    expect(unpricedOf({ tokensIn: 1e12, tokensOut: 1e12 }, { usd: 0, tokens: 1e12 })).toBe(MAX_UNPRICED_TOKENS);
  });

  it("says the count grouped by thousands and that it is not charged", () => {
    expect(unpricedWords(1_204_311)).toBe(
      "1,204,311 tokens (engine reported no USD — not counted against the ceiling)",
    );
    expect(unpricedWords(1)).toBe("1 token (engine reported no USD — not counted against the ceiling)");
  });
});
