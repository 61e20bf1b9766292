/**
 * @module core/budget-period
 * The UTC periods a product budget counts over (day, week, month) and their boundaries, as pure rules: `now` and
 * every time are ms epoch, never read from the clock (core/budget holds the budget itself).
 */

export const BUDGET_PERIODS = ["day", "week", "month"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

const DAY_MS = 86_400_000;

/**
 * The start (ms, UTC) of the period holding `now`: midnight for `day`, Monday 00:00 for `week` (ISO 8601 weeks),
 * the 1st at 00:00 for `month`.
 */
export function periodStartOf(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (period) {
    case "day":
      return midnight;
    case "week":
      return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS; // getUTCDay: Sunday 0 … Saturday 6; Monday → 0 days back
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** The start (ms, UTC) of the period after the one starting (or holding) `start`. */
export function nextPeriodStart(period: BudgetPeriod, start: number): number {
  const s = periodStartOf(period, start);
  switch (period) {
    case "day":
      return s + DAY_MS;
    case "week":
      return s + 7 * DAY_MS;
    case "month": {
      const d = new Date(s);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}
