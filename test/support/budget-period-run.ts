/**
 * @module test/support/budget-period-run
 * Runs a test scenario that reads period-scoped spend (a budget's spend, state, burndown, a claim refused for it)
 * inside one UTC budget period: a run that crossed a midnight UTC is run again, once, in the new period. The product
 * rightly starts a new period at $0 (core/budget-period), so a scenario that charged spend before midnight and read
 * it after could only fail, or assert nothing; a CI run may start at any hour.
 *
 * Why a run again, not an assertion made "period-aware": what the new period holds after a crossing depends on which
 * side of the boundary each charge fell, which the test cannot see, and a budget exhausted before midnight is not after
 * it — a scenario about exhaustion (a paused claim, a double-clicked resume) has nothing left to test. The second run
 * starts after the boundary, so the next one is a whole day (~24 h) away: every scenario here lasts minutes at most,
 * and a second crossing fails, saying so. Every midnight is a day's boundary, and also the only place a week's (Monday
 * 00:00) or a month's (the 1st) can be, so watching the day's covers all three periods.
 *
 * The clock read is the coordinator's: in the integration layer the test and the Durable Objects share the isolate's
 * `Date.now`; in the end-to-end layer the local server runs on this machine's clock. Every read the coordinator made
 * for the scenario lies between the run's first and last `now()`.
 */
import { periodStartOf } from "../../src/core/budget-period.ts";

/** What a run of the scenario is given: which run it is, and the names that are fresh to it. */
export interface PeriodRun {
  /** 1, or 2 when the first run crossed a midnight UTC */
  attempt: 1 | 2;
  /**
   * A product id fresh to this run: `base` itself on the first, `base-r` on the second (the first's budget keeps
   * what it charged). `base` is a product id of ≤ 61 characters, so that both are valid (shared/api ProductId).
   */
  product(base: string): string;
}

/** Where a run began and ended (ms epoch, as `now` read them), and how it ended. */
export type RunSpan = { start: number; end: number } & ({ ok: true } | { ok: false; error: unknown });

/** Whether the span [start, end] (ms epoch) holds a midnight UTC, the start of a new budget period. */
export function crossesPeriodBoundary(start: number, end: number): boolean {
  return periodStartOf("day", start) !== periodStartOf("day", end);
}

/**
 * What to do after a run: `done` (its outcome stands: rethrow its error or return), `again` (it crossed a midnight
 * UTC on its first attempt: run it once more, whatever its outcome), or `fail` with why (the second crossed too).
 */
export function afterRun(
  attempt: 1 | 2,
  span: RunSpan,
): { next: "done" } | { next: "again" } | { next: "fail"; why: string } {
  if (!crossesPeriodBoundary(span.start, span.end)) return { next: "done" };
  if (attempt === 1) return { next: "again" };
  return {
    next: "fail",
    why:
      `the scenario's second run crossed a midnight UTC too (${iso(span.start)} → ${iso(span.end)}): it ran for ` +
      "a day or more, so no run of it lies within one budget period — make it shorter",
  };
}

/**
 * Runs `scenario` and returns what it returned, or throws what it threw, from a run that lay within one UTC budget
 * period: when the first run's span held a midnight UTC, whatever its outcome, it is run again (attempt 2, fresh
 * product ids) and the second's outcome is the test's. The crossing is said (console.warn), never hidden.
 * @param now the clock (ms epoch) the coordinator reads; Date.now in both layers (the module's opening comment).
 * @throws the scenario's error; an Error when the second run crossed a midnight UTC as well.
 */
export async function inOneBudgetPeriod<T>(
  scenario: (run: PeriodRun) => Promise<T>,
  now: () => number = () => Date.now(),
): Promise<T> {
  for (const attempt of [1, 2] as const) {
    const run: PeriodRun = { attempt, product: (base) => (attempt === 1 ? base : `${base}-r`) };
    const start = now();
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await scenario(run) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const end = now();
    const after = afterRun(
      attempt,
      outcome.ok ? { start, end, ok: true } : { start, end, ok: false, error: outcome.error },
    );
    if (after.next === "fail") throw new Error(after.why);
    if (after.next === "done") {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    const how = outcome.ok
      ? "it passed"
      : `it failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`;
    console.warn(
      `budget period: the run crossed a midnight UTC (${iso(start)} → ${iso(end)}), so its period-scoped reads may ` +
        `span two budget periods (${how.slice(0, 300)}); running it again within the new period`,
    );
  }
  throw new Error("unreachable: the second run is always done or failed");
}

const iso = (ms: number): string => new Date(ms).toISOString();
