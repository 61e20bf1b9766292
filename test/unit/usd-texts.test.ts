// Amounts read side by side (core/usd-text `usdTexts`: spent of ceiling, warns at, a cost over a job budget) share
// their decimals: each keeps two significant digits (read back within 5 %), two amounts more than a few ten-millionths
// of a dollar apart never print alike, and a smaller amount never reads back larger — so a $0.03 budget reads
// "$0.037 of $0.03", "warns at $0.024", never "$0.04 of $0.03" or "$0.03 of $0.03" while under it. Whole cents keep
// their two decimals ($25.00), extra zeros past the cents go ($0.030 prints $0.03). The dashboard's copy agrees.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { usdTexts as dashboardTexts } from "../../dashboard/usd.js";
import { usdText, usdTexts } from "../../src/core/usd-text.ts";

/** The number a reader takes from the text (`$0.037` → 0.037, `-$1.50` → -1.5). */
const readBack = (text: string) => Number(text.replace("$", ""));

/** Amounts as budgets hold them: whole cents, sub-cent costs, sums of floats, up to $10,000. */
const amount = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }).map((c) => c / 100),
  fc.double({ min: 1e-6, max: 10_000, noNaN: true }),
  fc.integer({ min: 1, max: 100_000 }).map((u) => u / 1e6),
);

describe("usdTexts", () => {
  it("prints R2's $0.03 budget consistently, and plain cents as usdText does", () => {
    expect(usdTexts([0.037008, 0.03, 0.024])).toEqual(["$0.037", "$0.03", "$0.024"]);
    expect(usdTexts([0.029, 0.03])).toEqual(["$0.029", "$0.03"]);
    expect(usdTexts([24.999, 25])).toEqual(["$24.999", "$25.00"]);
    expect(usdTexts([8.5, 10, 8])).toEqual([8.5, 10, 8].map(usdText));
    expect(usdTexts([0, Number.NaN, 1e-9])).toEqual(["$0.00", "—", "<$0.000001"]);
  });

  it("property: two significant digits, distinct amounts print distinctly, order never reverses", () => {
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 6 }), (xs) => {
        const texts = usdTexts(xs);
        xs.forEach((a, i) => {
          expect(Math.abs(readBack(texts[i]!) - a)).toBeLessThanOrEqual(0.05 * a + 1e-12);
          xs.forEach((b, j) => {
            if (a < b) expect(readBack(texts[i]!)).toBeLessThanOrEqual(readBack(texts[j]!));
            if (Math.abs(a - b) > 2e-7) expect(texts[i]).not.toBe(texts[j]);
          });
        });
      }),
    );
  });

  it("the dashboard's budget page prints the same texts (dashboard/usd.js cannot import core)", () => {
    expect(dashboardTexts([0.037008, 0.03, 0.024])).toEqual(["$0.037", "$0.03", "$0.024"]);
    fc.assert(
      fc.property(fc.array(fc.oneof(amount, fc.constant(0), fc.constant(Number.NaN)), { maxLength: 6 }), (xs) => {
        expect(dashboardTexts(xs)).toEqual(usdTexts(xs));
      }),
    );
  });
});
