/**
 * @module core/budget-burndown
 * The budget's burndown series as a pure rule: one point per minute of spend, bounded to BURNDOWN_MAX_POINTS by
 * thinning, from since when the spend counts (times ms epoch, spend USD; core/budget holds the budget itself).
 */

/**
 * The most burndown points kept: a month of one point per minute would be 44 640; 288 still draws a smooth line
 * (a point every 5 minutes over a day) and keeps the stored row small (~10 KB).
 */
export const BURNDOWN_MAX_POINTS = 288;
/** Accruals within the same minute coalesce into one burndown point. */
export const BURNDOWN_COALESCE_MS = 60_000;

export interface BudgetPoint {
  /** ms epoch */
  at: number;
  spentUsd: number;
}

/**
 * The series after spend reached `spentUsd` at `now`: a point in the same minute as the last one replaces it;
 * over BURNDOWN_MAX_POINTS, every other point but the first and last is dropped (the line keeps its shape).
 * A time before the last point's (the host clock stepped back) counts as that point's: the series is read oldest
 * first (a chart's x must not run backwards), and its last point must stay the latest spend.
 */
export function addPoint(series: readonly BudgetPoint[], now: number, spentUsd: number): BudgetPoint[] {
  const out = [...series];
  const last = out[out.length - 1];
  const at = last ? Math.max(now, last.at) : now;
  if (last && Math.floor(last.at / BURNDOWN_COALESCE_MS) === Math.floor(at / BURNDOWN_COALESCE_MS) && out.length > 1) {
    out[out.length - 1] = { at, spentUsd };
  } else {
    out.push({ at, spentUsd });
  }
  if (out.length <= BURNDOWN_MAX_POINTS) return out;
  return out.filter((_, i) => i === 0 || i === out.length - 1 || i % 2 === 1);
}

/**
 * The series as drawn from `start` (ms epoch: the later of the period's start and since when the spend counts,
 * core/budget-since): points before it become one point at `start` holding the last of their spend (USD). Documents
 * saved before the burndown began at the count's start (a budget set on day 20 of 30 began it on day 1, at $0: a
 * line that said nothing was spent for 19 days, when those runs were simply not counted) read as if it had.
 */
export function burndownFrom(series: readonly BudgetPoint[], start: number): BudgetPoint[] {
  const rest = series.filter((p) => p.at >= start);
  const before = series.filter((p) => p.at < start).at(-1);
  if (!before) return [...series];
  return rest[0]?.at === start ? rest : [{ at: start, spentUsd: before.spentUsd }, ...rest];
}
