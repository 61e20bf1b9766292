// The tests' guard against a budget period that resets between two reads (test/support/budget-period-run), with given
// times: a scenario whose run holds a midnight UTC (a day's, a Monday's, a 1st's) is run again, once, with fresh
// product ids, and the second run's outcome is the test's — its failure is thrown, never swallowed; a run within one
// day is run once and its outcome stands (a failure is not retried); a second crossing fails, saying so.
import { afterEach, describe, expect, it, vi } from "vitest";
import { afterRun, crossesPeriodBoundary, inOneBudgetPeriod } from "../support/budget-period-run.ts";

const MIDNIGHT = Date.UTC(2026, 11, 7); // Monday 2026-12-07 00:00 UTC
const DAY = 86_400_000;

/** A clock that reads the given times in order (ms epoch), then keeps its last. */
function clock(...times: number[]): () => number {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)] as number;
}

afterEach(() => vi.restoreAllMocks());

describe("crossesPeriodBoundary", () => {
  it("is true exactly when the span holds a midnight UTC", () => {
    expect(crossesPeriodBoundary(MIDNIGHT - 1, MIDNIGHT)).toBe(true);
    expect(crossesPeriodBoundary(MIDNIGHT - 60_000, MIDNIGHT + 60_000)).toBe(true);
    expect(crossesPeriodBoundary(MIDNIGHT, MIDNIGHT + DAY - 1)).toBe(false); // a whole day from its start
    expect(crossesPeriodBoundary(MIDNIGHT - 1, MIDNIGHT - 1)).toBe(false);
    // A month's and a week's boundary are midnights too: 2026-12-01 00:00 is a 1st, 2026-12-07 a Monday.
    expect(crossesPeriodBoundary(Date.UTC(2026, 10, 30, 23, 59), Date.UTC(2026, 11, 1, 0, 1))).toBe(true);
  });

  it("asks afterRun for a second run only on the first crossing", () => {
    const within = { start: MIDNIGHT + 1000, end: MIDNIGHT + 5000, ok: true as const };
    const across = { start: MIDNIGHT - 1000, end: MIDNIGHT + 1000, ok: true as const };
    expect(afterRun(1, within)).toEqual({ next: "done" });
    expect(afterRun(2, within)).toEqual({ next: "done" });
    expect(afterRun(1, { ...across, ok: false, error: new Error("x") })).toEqual({ next: "again" });
    expect(afterRun(1, across)).toEqual({ next: "again" });
    expect(afterRun(2, across)).toMatchObject({ next: "fail", why: expect.stringContaining("second run crossed") });
  });
});

describe("inOneBudgetPeriod", () => {
  it("runs a scenario within one day once, and returns what it returned", async () => {
    const runs: string[] = [];
    const value = await inOneBudgetPeriod(
      async (run) => {
        runs.push(run.product("spend"));
        return 42;
      },
      clock(MIDNIGHT + 10 * 3_600_000, MIDNIGHT + 10 * 3_600_000 + 5000),
    );
    expect(value).toBe(42);
    expect(runs).toEqual(["spend"]);
  });

  it("throws the failure of a run within one day: a failure is not retried", async () => {
    let runs = 0;
    const failing = inOneBudgetPeriod(
      async () => {
        runs += 1;
        throw new Error("spent 3, expected 4");
      },
      clock(MIDNIGHT - 60_000, MIDNIGHT - 1),
    );
    await expect(failing).rejects.toThrow("spent 3, expected 4");
    expect(runs).toBe(1);
  });

  it("runs a crossing scenario again with fresh product ids, and the second run's failure is thrown", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const runs: Array<[number, string]> = [];
    const failing = inOneBudgetPeriod(
      async (run) => {
        runs.push([run.attempt, run.product("spend")]);
        throw new Error(`spent 0, expected 4 (run ${run.attempt})`);
      },
      clock(MIDNIGHT - 500, MIDNIGHT + 500, MIDNIGHT + 600, MIDNIGHT + 900),
    );
    await expect(failing).rejects.toThrow("spent 0, expected 4 (run 2)");
    expect(runs).toEqual([
      [1, "spend"],
      [2, "spend-r"],
    ]);
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /crossed a midnight UTC \(2026-12-06T23:59:59\.500Z → 2026-12-07T00:00:00\.500Z\).*it failed: spent 0, expected 4 \(run 1\)/,
    );
  });

  it("runs a crossing scenario again even when it passed, and returns the second run's value", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const value = await inOneBudgetPeriod(
      async (run) => run.attempt,
      clock(MIDNIGHT - 500, MIDNIGHT + 500, MIDNIGHT + 600, MIDNIGHT + 900),
    );
    expect(value).toBe(2);
  });

  it("fails when the second run crosses a midnight as well, whatever it did", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const twice = inOneBudgetPeriod(
      async () => "passed",
      clock(MIDNIGHT - 1, MIDNIGHT + 1, MIDNIGHT + 2, MIDNIGHT + DAY),
    );
    await expect(twice).rejects.toThrow(/second run crossed a midnight UTC too/);
  });
});
