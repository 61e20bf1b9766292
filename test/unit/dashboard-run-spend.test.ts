// The dashboard's runs list (dashboard/runs.js) shows what each run was charged at settings prices for its unpriced
// tokens (`spend.estimatedUsd`, core/price-estimate), as `gigafactory job ID` does: a running run's "so far" charge
// holds it, and any run estimated says how much of its charge is an estimate. Red before: the list read `spend.usd`
// only — a Codex run charged $1.50 read "$0.00 … so far" — and said nothing of an estimate.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { runSpendWords } from "../../dashboard/run-spend-words.js";

describe("the runs list's spend words", () => {
  it("a running run's charge so far holds its estimate, and says which part is one", () => {
    const spend = { usd: 0.25, tokens: 500_000, unpricedTokens: 400_000, estimatedUsd: 1.5 };
    expect(runSpendWords({ spend })).toEqual([
      "$1.75 · 500,000 tokens so far",
      "400,000 tokens unpriced",
      "$1.50 estimated at settings prices",
    ]);
  });

  it("an ended run says its estimate; a run never estimated says nothing of one", () => {
    const spend = { usd: 0.5, tokens: 500_000, estimatedUsd: 1 };
    expect(runSpendWords({ endedAt: 1, spend })).toEqual(["$1.00 estimated at settings prices"]);
    expect(runSpendWords({ endedAt: 1, spend: { usd: 0.5, tokens: 10 } })).toEqual([]);
    expect(runSpendWords({})).toEqual([]);
  });
});
