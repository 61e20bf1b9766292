// A job's own budget and the product budget count the same runs the same way (core/job-budget `runMark`,
// `jobSpent`): each run's mark in whole micro-dollars, summed. As a fast-check property over random runs, each a
// sequence of cumulative cost reports (rising, resent, stale; many with fractions of a micro-dollar): the product
// budget's charge (core/run-accrual `accrue`, summed with core/budget `addUsd`) equals the job's spend — by
// `jobSpent`, and by the float sum of the stored marks rounded once, as the coordinator reads them (SQLite `SUM`) —
// so for any ceiling the two never disagree on whether it is reached (`overCeiling` vs `spentBudget`) or passed
// (strictly more vs `jobOverrun`). The example the rule was wrong for: two runs of $0.1000006 were charged $0.200002,
// while the job read $0.200001 spent of its $0.200002 budget (the raw marks summed, then rounded once).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addUsd, fromMicros, overCeiling, toMicros } from "../../src/core/budget.ts";
import { jobOverrun, jobSpent, runMark, spentBudget } from "../../src/core/job-budget.ts";
import { accrue, type RunSpend } from "../../src/core/run-accrual.ts";

/** What the product budget is charged for `runs` (each its cumulative reports), and the marks stored for them. */
function charge(runs: readonly number[][]): { productUsd: number; marks: RunSpend[] } {
  let productUsd = 0;
  const marks: RunSpend[] = [];
  for (const reports of runs) {
    let seen: RunSpend = { costUsd: 0, tokens: 0 };
    for (const costUsd of reports) {
      const accrued = accrue(seen, { costUsd, tokens: 0 });
      productUsd = addUsd(productUsd, accrued.deltaUsd);
      seen = runMark(accrued.seen); // as policies/run-spend stores it
    }
    marks.push(seen);
  }
  return { productUsd, marks };
}

/** The marks as the coordinator reads them back: SQLite's SUM of the stored doubles, in floats. */
const sqlSum = (marks: readonly RunSpend[]): RunSpend => ({
  costUsd: marks.reduce((a, m) => a + m.costUsd, 0),
  tokens: marks.reduce((a, m) => a + m.tokens, 0),
});

/** A reported cumulative cost: often with a fraction of a micro-dollar, up to the API's $1,000,000 per report. */
const cost = fc.oneof(
  fc.integer({ min: 0, max: 5_000_000 }).map((n) => n / 1e7),
  fc.integer({ min: 0, max: 1_000_000_000 }).map((n) => n / 1e7 + 0.00000049),
  fc.double({ min: 0, max: 1e6, noNaN: true }),
);
const runs = fc.array(fc.array(cost, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 });

describe("the job budget and the product budget count a job's runs alike", () => {
  it("two runs of $0.1000006: both read $0.200002, so a $0.200002 job budget is spent", () => {
    const { productUsd, marks } = charge([[0.1000006], [0.1000006]]);
    expect(productUsd).toBe(0.200002);
    expect(jobSpent(marks).costUsd).toBe(0.200002);
    expect(toMicros(sqlSum(marks).costUsd)).toBe(200_002);
    expect(spentBudget({ usd: 0.200002 }, jobSpent(marks))?.limit).toBe("usd");
    // The raw marks summed and rounded once read a micro-dollar less: within the budget, 1 µ$ left.
    expect(toMicros(0.1000006 + 0.1000006)).toBe(200_001);
  });

  it("property: for the same runs, the same spend to the micro-dollar, and the same verdict on any ceiling", () => {
    fc.assert(
      fc.property(runs, fc.integer({ min: -2, max: 2 }), fc.double({ min: 0, max: 1e7, noNaN: true }), (rs, d, c) => {
        const { productUsd, marks } = charge(rs);
        const product = toMicros(productUsd);
        expect(toMicros(jobSpent(marks).costUsd)).toBe(product);
        expect(toMicros(sqlSum(marks).costUsd)).toBe(product);
        // Ceilings at the spend and a micro-dollar or two either side, and any other.
        for (const ceilingUsd of [fromMicros(Math.max(1, product + d)), c]) {
          const reached = overCeiling({ spentUsd: productUsd, ceilingUsd });
          for (const spent of [jobSpent(marks), sqlSum(marks)]) {
            expect(spentBudget({ usd: ceilingUsd }, spent) !== undefined).toBe(reached);
            const passed = toMicros(productUsd) > toMicros(ceilingUsd);
            const over = jobOverrun({ usd: ceilingUsd }, { costUsd: spent.costUsd }, 0, 0);
            expect(over !== undefined).toBe(passed);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
