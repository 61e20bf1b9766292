// The settings answer's aging guarantee (core/aging `agingGuarantee`): it says the guarantee holds exactly when the
// starvation weight is above the low→high priority gap (2) — exactly when `agingBoundMs` is finite — and then states
// a bound no lower than the real one; otherwise it says "off", naming the weight and the bound to pass (a weight that
// low is allowed: SPEC §5's own default is 1.5). `settings get` prints it as the `aging` row, and `settings set`
// never lists the derived `aging` as a changed setting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changedKeys, formatSettings } from "../../src/cli/commands/settings.ts";
import { agingBoundMs, agingGuarantee, BOUNDED_ABOVE_WEIGHT } from "../../src/core/aging.ts";
import { DEFAULT_SETTINGS } from "../../src/core/settings.ts";

describe("agingGuarantee", () => {
  it("holds with the defaults: low under a stream of high within 24 min", () => {
    expect(agingGuarantee(DEFAULT_SETTINGS.weights, DEFAULT_SETTINGS.agingHorizonMinutes)).toEqual({
      holds: true,
      lowUnderHighMinutes: 24,
      starvationAbove: 2,
      message:
        "a low job under a steady stream of fresh high jobs is assigned within 24 min, plus a seat's turnover " +
        "(seats freeing at least every 6 min)",
    });
  });

  it("is off at SPEC §5's default weight 1.5, and says so", () => {
    const g = agingGuarantee({ starvation: 1.5 }, 30);
    expect(g).toMatchObject({ holds: false, lowUnderHighMinutes: null });
    expect(g.message).toMatch(/^off: with weights\.starvation 1\.5 .* set it above 2 to bound the wait$/);
  });

  it("holds iff the weight is above the gap, iff the bound is finite; the bound stated is never below it (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 7 * 24 * 60 }),
        (starvation, horizon) => {
          const g = agingGuarantee({ starvation }, horizon);
          const n = agingBoundMs("low", "high", { starvation }, horizon * 60_000);
          expect(g.holds).toBe(starvation > BOUNDED_ABOVE_WEIGHT);
          expect(g.holds).toBe(Number.isFinite(n));
          if (g.holds) {
            expect(g.lowUnderHighMinutes! * 60_000).toBeGreaterThanOrEqual(n);
            expect(g.lowUnderHighMinutes!).toBeLessThanOrEqual(horizon);
          } else {
            expect(g.lowUnderHighMinutes).toBeNull();
            expect(g.message.startsWith("off:")).toBe(true);
          }
        },
      ),
    );
  });
});

describe("the CLI's settings", () => {
  const answer = (starvation: number) => {
    const weights = { ...DEFAULT_SETTINGS.weights, starvation };
    return { ...DEFAULT_SETTINGS, weights, aging: agingGuarantee(weights, DEFAULT_SETTINGS.agingHorizonMinutes) };
  };
  it("prints the aging guarantee, off when it is off", () => {
    expect(formatSettings(answer(2.5))).toMatch(/^aging\s+a low job .* within 24 min/m);
    expect(formatSettings(answer(1.5))).toMatch(/^aging\s+off: with weights\.starvation 1\.5/m);
  });
  it("does not list the derived aging as a changed setting", () => {
    expect(changedKeys(answer(2.5), answer(1.5))).toEqual(["weights.starvation"]);
  });
});
