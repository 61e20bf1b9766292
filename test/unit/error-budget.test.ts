// A factory's error budget (core/error-budget): the sliding-window failure count equals a brute-force count of the
// failures in the window (capped at maxFailures + 1, the bounded memory), the window never holds more than that,
// and "over budget" is exactly "more than maxFailures failures in the last windowMinutes" — also when the clock
// steps back (a failure recorded before the step still counts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { failuresInWindow, overBudget, recordFailure } from "../../src/core/error-budget.ts";
import type { ErrorBudgetSettings } from "../../src/core/settings.ts";

const NOW = 1_700_000_000_000;
const S: ErrorBudgetSettings = { windowMinutes: 60, maxFailures: 3 };

describe("error budget", () => {
  it("quarantines on the failure that makes it more than maxFailures in the window", () => {
    let w: number[] = [];
    for (let i = 0; i < 3; i++) w = recordFailure(w, NOW + i * 60_000, S);
    expect(overBudget(w, NOW + 3 * 60_000, S)).toBe(false);
    w = recordFailure(w, NOW + 3 * 60_000, S);
    expect(overBudget(w, NOW + 3 * 60_000, S)).toBe(true);
  });

  it("a failure exactly windowMinutes old has left the window", () => {
    const w = recordFailure([], NOW, S);
    expect(failuresInWindow(w, NOW + 60 * 60_000 - 1, S)).toBe(1);
    expect(failuresInWindow(w, NOW + 60 * 60_000, S)).toBe(0);
  });

  it("a clock stepping back keeps the failures recorded before it: the next one still quarantines", () => {
    let w: number[] = [];
    for (let i = 0; i < 3; i++) w = recordFailure(w, NOW + i * 1000, S);
    const back = NOW - 5_000; // the coordinator's clock stepped back 5 s (a move to another host)
    w = recordFailure(w, back, S);
    expect(failuresInWindow(w, back, S)).toBe(4);
    expect(overBudget(w, back, S)).toBe(true);
  });

  it("property: the window count equals a brute-force count, memory stays bounded", () => {
    const settings = fc.record({
      windowMinutes: fc.integer({ min: 1, max: 120 }),
      maxFailures: fc.integer({ min: 1, max: 20 }),
    });
    const gaps = fc.array(fc.integer({ min: 0, max: 30 * 60_000 }), { maxLength: 80 });
    fc.assert(
      fc.property(settings, gaps, fc.integer({ min: 0, max: 3 * 60 * 60_000 }), (s, steps, later) => {
        let w: number[] = [];
        const all: number[] = [];
        let now = NOW;
        for (const gap of steps) {
          now += gap;
          all.push(now);
          w = recordFailure(w, now, s);
          expect(w.length).toBeLessThanOrEqual(s.maxFailures + 1);
        }
        const at = now + later;
        const brute = all.filter((t) => at - t < s.windowMinutes * 60_000).length;
        expect(failuresInWindow(w, at, s)).toBe(Math.min(brute, s.maxFailures + 1));
        expect(overBudget(w, at, s)).toBe(brute > s.maxFailures);
      }),
    );
  });
});
