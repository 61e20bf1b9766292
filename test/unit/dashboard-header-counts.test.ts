// The header's counts (dashboard/live.js `summaryParts`, drawn by app.js): one job and one factory read "1 job" and
// "1 factory" — the header said "1 jobs" and "1 factories" while the fleet page's own line said "1 factory" — and
// every stage the header names is counted, the total over every stage.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { summaryParts } from "../../dashboard/live.js";

describe("the header's counts", () => {
  it("says one job and one factory in the singular", () => {
    const parts = summaryParts(new Map([["queued", 1]]), 1);
    expect(parts[0]).toBe("1 job");
    expect(parts.at(-1)).toBe("1 factory");
  });

  it("says none and many in the plural, with thousands separated, the total over every stage", () => {
    const counts = new Map([
      ["queued", 1200],
      ["testing", 3],
      ["shipped", 7],
    ]);
    expect(summaryParts(counts, 0)).toEqual([
      "1,210 jobs",
      "1,200 queued",
      "… building",
      "… in review",
      "3 testing",
      "… failed",
      "0 factories",
    ]);
    expect(summaryParts(new Map(), 2)[0]).toBe("0 jobs");
  });
});
