// The job page's facts show a job's own budget as every other amount on the dashboard reads: "$0.10", and a $0.035
// budget with its third digit (dashboard/usd.js `usdTexts`) — it printed the raw number, "$0.1" — with the wall time
// and tokens limits after it, only those set.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { budgetParts } from "../../dashboard/job-facts.js";

describe("the job page's budget fact", () => {
  it("reads USD as every amount does, then wall time and tokens", () => {
    expect(budgetParts({ usd: 0.1 })).toEqual(["$0.10"]);
    expect(budgetParts({ usd: 0.035, wallSeconds: 600, tokens: 5000 })).toEqual([
      "$0.035",
      "600 s wall",
      "5,000 tokens",
    ]);
    expect(budgetParts({ usd: 12.3 })).toEqual(["$12.30"]);
    expect(budgetParts(undefined)).toEqual([]);
    expect(budgetParts({ tokens: 7 })).toEqual(["7 tokens"]);
  });
});
