// An age on the dashboard (dashboard/format.js `ago`) of a time past Date's range, or of no number at all, reads "not
// a date" as its cell's title does (`when`, pass 41): every list draws an age beside that title — an enrollment code
// made in year 287,000 read "just now" under the title "not a date", one made before year −271,821 "1.15e+12 d ago",
// and a time that is no number "NaN d ago". A time in range still reads its age.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { ago, NOT_A_DATE, when } from "../../dashboard/format.js";

const NOW = Date.UTC(2026, 11, 7, 0, 0, 0);

describe("dashboard: an age past Date's range", () => {
  it("says not a date as the title beside it does", () => {
    for (const at of [9e15, -9e15, Number.NaN, Number.POSITIVE_INFINITY, "soon" as unknown as number]) {
      expect(when(at)).toBe(NOT_A_DATE);
      expect(ago(at, NOW)).toBe(NOT_A_DATE);
    }
  });

  it("still reads a time in range, and never for none", () => {
    expect(ago(NOW - 42_000, NOW)).toBe("42 s ago");
    expect(ago(8.64e15, 8.64e15 + 3_600_000)).toBe("1 h ago"); // the range's last ms is a date
    expect(ago(undefined, NOW)).toBe("never");
  });
});
