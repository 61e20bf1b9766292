// A budget period's unpriced-token sum across a period boundary (core/unpriced `periodShare`): a run counted in one
// period and priced in the next takes off the new period's sum only what that period counted of it — never another
// run's tokens. Red before: the sum changed by the run's whole fall, clamped at 0, so a Claude run counted before
// midnight and priced after it made the new period say "0 unpriced" while a Codex run's 150,000 were still unpriced.
// A property over random runs, reports and boundaries: the sum is always the total of what this period counted of
// each run, none of which is above the run's own figure, and every run counted only in this period is in it whole.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accrueUnpriced, addUnpriced, periodShare } from "../../src/core/unpriced.ts";

describe("a period's unpriced sum across a boundary", () => {
  it("keeps another run's tokens when a run counted last period is priced in this one", () => {
    // R1 (Claude): 200,000 tokens unpriced before midnight.
    const r1 = accrueUnpriced(
      { costUsd: 0, tokens: 0, unpricedTokens: 0 },
      { costUsd: 0, tokens: 2e5, unpricedTokens: 2e5 },
    );
    const monday = periodShare(r1.delta, 0);
    expect(addUnpriced(0, monday.applied)).toBe(2e5);
    // Tuesday: the sum starts at 0; R2 (Codex) counts 150,000.
    const r2 = periodShare(1.5e5, 0);
    let tuesday = addUnpriced(0, r2.applied);
    // R1's result brings its USD on Tuesday: its figure falls by 200,000, of which Tuesday counted nothing.
    const priced = accrueUnpriced({ costUsd: 0, tokens: 2e5, unpricedTokens: 2e5 }, { costUsd: 3, tokens: 2e5 });
    expect(priced.delta).toBe(-2e5);
    tuesday = addUnpriced(tuesday, periodShare(priced.delta, 0).applied);
    expect(tuesday).toBe(1.5e5);
  });

  it("is what this period counted of each run, within each run's figure (property)", () => {
    const step = fc.record({
      run: fc.nat(3),
      grow: fc.nat(5000),
      priced: fc.boolean(),
      boundary: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const runs = new Map<
          number,
          { costUsd: number; tokens: number; unpricedTokens: number; counted: number; period: number; first: number }
        >();
        let period = 0;
        let sum = 0;
        for (const s of steps) {
          if (s.boundary) {
            period++;
            sum = 0; // policies/budget rollover: a new period's sum starts empty
          }
          const run = runs.get(s.run) ?? {
            costUsd: 0,
            tokens: 0,
            unpricedTokens: 0,
            counted: 0,
            period,
            first: period,
          };
          const tokens = run.tokens + s.grow;
          const costUsd = s.priced ? run.costUsd + 1 : run.costUsd;
          // Priced: its USD covers every token so far; else the new tokens join the unpriced ones.
          const said = s.priced ? 0 : run.unpricedTokens + s.grow;
          const { unpricedTokens, delta } = accrueUnpriced(run, { costUsd, tokens, unpricedTokens: said });
          const here = run.period === period ? run.counted : 0;
          const share = periodShare(delta, here);
          sum = addUnpriced(sum, share.applied);
          runs.set(s.run, { costUsd, tokens, unpricedTokens, counted: share.counted, period, first: run.first });
        }
        let total = 0;
        for (const r of runs.values()) {
          const counted = r.period === period ? r.counted : 0;
          expect(counted).toBeGreaterThanOrEqual(0);
          expect(counted).toBeLessThanOrEqual(r.unpricedTokens);
          if (r.first === period) expect(counted).toBe(r.unpricedTokens); // reported only in this period: whole
          total += counted;
        }
        expect(sum).toBe(total);
      }),
      { numRuns: 500 },
    );
  });
});
