// A budget period's estimated USD across a period boundary (core/price-estimate `estimateShare`): a run estimated in
// one period and priced by its engine in the next takes off only what the new period counted of its own estimate, so
// the other runs' estimates stay in the new period's `estimatedUsd`; within one period a run's rises and falls net
// to its estimated part exactly, and the period's sum never goes below what its other runs counted.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addUsd } from "../../src/core/budget.ts";
import { estimateShare } from "../../src/core/price-estimate.ts";

describe("estimateShare", () => {
  it("a run estimated yesterday and priced today takes nothing off today's other estimates", () => {
    const yesterday = estimateShare(1.5, 0); // run a, counted by yesterday's period
    expect(yesterday).toEqual({ appliedUsd: 1.5, countedUsd: 1.5 });
    const b = estimateShare(1.5, 0); // run b, today
    const a = estimateShare(-1.5, 0); // a's USD arrives today: today counted none of a
    expect(addUsd(b.appliedUsd, a.appliedUsd)).toBe(1.5);
  });

  it("within one period a run's changes net to its estimated part, never below zero", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3_000_000, max: 3_000_000 }), { maxLength: 20 }), (micros) => {
        let part = 0;
        let counted = 0;
        let period = 0;
        for (const m of micros) {
          const next = Math.max(0, part + m) / 1e6; // a run's estimated part never goes below 0
          const change = addUsd(next, -part / 1e6);
          const share = estimateShare(change, counted);
          counted = share.countedUsd;
          period = addUsd(period, share.appliedUsd);
          part = Math.round(next * 1e6);
          expect(counted).toBeGreaterThanOrEqual(0);
        }
        expect(period).toBe(part / 1e6);
        expect(counted).toBe(part / 1e6);
      }),
    );
  });
});
