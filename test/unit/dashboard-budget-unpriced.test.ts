// The dashboard budget page's unpriced line (dashboard/budget-unpriced.js `unpricedText`) says what `gigafactory
// budget` says (core/unpriced `unpricedWords`): the period's tokens with no USD figure grouped by thousands, and that
// they are not counted against the ceiling — for any count; nothing at 0 or from an older coordinator without the field.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { unpricedText } from "../../dashboard/budget-unpriced.js";
import { MAX_UNPRICED_TOKENS, unpricedWords } from "../../src/core/unpriced.ts";

describe("the budget page's unpriced line", () => {
  it("says the CLI's words for any count", () => {
    expect(unpricedText({ unpricedTokens: 1_204_311 })).toBe(
      "Unpriced: 1,204,311 tokens (engine reported no USD — not counted against the ceiling)",
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_UNPRICED_TOKENS * 1000 }), (n) => {
        expect(unpricedText({ unpricedTokens: n })).toBe(`Unpriced: ${unpricedWords(n)}`);
      }),
    );
  });

  it("says nothing at 0 or without the field", () => {
    expect(unpricedText({ unpricedTokens: 0 })).toBe("");
    expect(unpricedText({})).toBe("");
  });
});
