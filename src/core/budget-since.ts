/**
 * @module core/budget-since
 * Since when a budget's spend counts, as pure rules: the period's start, or — set in the middle of a period — the
 * moment the budget was set (runs before it are not counted), or, after a change of period, when the carried spend
 * began counting (core/budget `applyRule`); and when the budget was last changed within the period. Times ms epoch.
 * `gigafactory budget`, `GET …/budget` and the dashboard said "$3.20 of $25.00" and never since when.
 */
import { instantWords } from "./waiting-commands.ts";

/** Why the count starts when it does. */
export const SPENT_SINCE_CAUSES = ["period_start", "budget_set", "carried_over"] as const;
export type SpentSinceCause = (typeof SPENT_SINCE_CAUSES)[number];

/** The instant (ms epoch) the spend counts from, and why. */
export interface SpentSince {
  at: number;
  cause: SpentSinceCause;
}

/** What a stored budget keeps of when its count began and when its rule was last set (ms epoch). */
export interface CountFields {
  /** Start of the current period, ms epoch. */
  periodStart: number;
  /** Absent from documents saved before it was kept: their count is read as the period's. */
  countsFrom?: SpentSince;
  /** When `PUT …/budget` last set the rule, ms epoch; absent before it was kept. */
  ruleSetAt?: number;
}

/** The count of a budget first set at `now` in the period starting `periodStart`: nothing before `now` counts. */
export function firstCount(periodStart: number, now: number): SpentSince {
  return now <= periodStart ? { at: periodStart, cause: "period_start" } : { at: now, cause: "budget_set" };
}

/** Since when `b`'s spend counts: its kept count, else (older documents) the period's start. */
export function spentSinceOf(b: CountFields): SpentSince {
  return b.countsFrom ?? { at: b.periodStart, cause: "period_start" };
}

/**
 * When the budget's rule was changed within the current period after its count began (ms epoch), else undefined:
 * a change that did not move the count (a ceiling raised mid-period) is worth saying beside it.
 */
export function changedInPeriod(b: CountFields): number | undefined {
  const at = b.ruleSetAt;
  if (at === undefined || at < b.periodStart || at <= spentSinceOf(b).at) return undefined;
  return at;
}

const CAUSE_WORDS: Record<SpentSinceCause, string> = {
  period_start: "period start",
  budget_set: "budget set; runs before it are not counted",
  carried_over: "counted under the previous period and carried over",
};

/**
 * Since when, in words, after an amount: `since 2026-12-07T00:00:00Z (period start)`, and `; budget changed at …`
 * when it changed later in the period. @param v the view's `spentSince`, `spentSinceCause` and `changedAt`
 */
export function spentSinceWords(v: {
  spentSince: number;
  spentSinceCause: SpentSinceCause;
  changedAt?: number;
}): string {
  const since = `since ${instantWords(v.spentSince)} (${CAUSE_WORDS[v.spentSinceCause]})`;
  return v.changedAt === undefined ? since : `${since}; budget changed at ${instantWords(v.changedAt)}`;
}
