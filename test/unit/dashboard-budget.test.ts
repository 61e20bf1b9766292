// The dashboard's budget chart data (dashboard/budget.js `chartData`): uPlot's columns in seconds, the spend carried
// flat to now so the line reaches the present, the 80 % and 100 % lines constant across the period; the y axis as wide
// as its widest label; and the vendored uPlot build draws nothing at import (it loads in Node, so the page module graph
// has no browser-only side effect).
// A period's boundaries are said in UTC (dashboard/format.js `utcBoundary`) wherever the viewer is: a period starts
// at a UTC midnight, which the form and the CLI say too.
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { axisSize, axisTexts, chartData } from "../../dashboard/budget-chart.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { utcBoundary } from "../../dashboard/format.js";
// @ts-expect-error the vendored browser build ships no types
import uPlot from "../../dashboard/vendor/uPlot.esm.js";

describe("budget chartData", () => {
  const budget = { ceilingUsd: 10, warnAtUsd: 8, periodStart: 0 };

  it("draws the burndown up to now with the warning and ceiling lines", () => {
    const burndown = [
      { at: 0, spentUsd: 0 },
      { at: 60_000, spentUsd: 5 },
    ];
    expect(chartData({ ...budget, burndown }, 120_000)).toEqual([
      [0, 60, 120],
      [0, 5, 5],
      [8, 8, 8],
      [10, 10, 10],
    ]);
  });

  it("starts an empty series at the period start and adds no point in the past", () => {
    expect(chartData({ ...budget, burndown: [] }, 0)).toEqual([[0], [0], [8], [10]]);
  });

  // The y axis's labels were `$${t}`: "$0.6" beside "$0.4", and "$1e-7" for a tick under a micro-dollar.
  it("labels the y axis as every amount on the dashboard reads (usd.js usdTexts)", () => {
    expect(axisTexts([0, 0.2, 0.4, 0.6000000000000001])).toEqual(["$0.00", "$0.20", "$0.40", "$0.60"]);
    expect(axisTexts([0, 5, 10])).toEqual(["$0.00", "$5.00", "$10.00"]);
    expect(axisTexts([0, 0.0025, 0.005])).toEqual(["$0.00", "$0.0025", "$0.005"]);
    for (const text of axisTexts([0, 1e-7, 2e-7])) expect(text).not.toMatch(/e-/);
  });

  // uPlot's y axis is 50 px wide unless told: "$500.00" (~50 px at 12 px in Chromium) beside ticks of 10 and a gap of 5
  // was drawn as "00.00", its "$5" cut off at the canvas's edge (a $500 ceiling, screenshot, pass 51).
  it("sizes the y axis from its widest label, its ticks and gap", () => {
    const width = (t: string) => t.length * 7; // px, as a canvas measures
    expect(axisSize(["$0.00", "$500.00"], width, 15)).toBe(64);
    expect(axisSize(["$0.00", "$500.00", "$1,000.00"], width, 15)).toBe(78);
    expect(axisSize(null, width, 15)).toBe(50); // before uPlot has ticks: its own default
  });

  it("loads the vendored uPlot as a constructor", () => {
    expect(typeof uPlot).toBe("function");
  });
});

describe("budget period boundaries", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("says a period's boundary in UTC to the minute, not in the viewer's time zone", () => {
    process.env.TZ = "Europe/Paris"; // an hour ahead of UTC in December: local time would say 01:00
    expect(new Date(Date.UTC(2026, 11, 6)).getHours()).toBe(1); // the zone took effect
    expect(utcBoundary(Date.UTC(2026, 11, 6))).toBe("2026-12-06T00:00Z");
    expect(utcBoundary(Date.UTC(2026, 11, 7))).toBe("2026-12-07T00:00Z");
  });
});
