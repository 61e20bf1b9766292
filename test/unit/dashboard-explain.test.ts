// The dashboard explain panel's Raw cell (dashboard/explain.js `rawText`): a subtracted term (starvation) and a
// centred one (track, raw − 0.5) are written so that the row's raw × weight = contribution holds, as in the CLI.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { rawText } from "../../dashboard/explain.js";

describe("dashboard explain: the Raw cell", () => {
  it("marks a subtracted term and shows a centred term's offset", () => {
    expect(rawText({ raw: 0.99, weight: 2.5, contribution: -2.475 })).toBe("− 0.99");
    expect(rawText({ raw: 0.3, weight: 1, contribution: -0.2 })).toBe("(0.3 − 0.5)");
    expect(rawText({ raw: 0.5, weight: 2, contribution: 1 })).toBe("0.5");
  });
});
