/**
 * @module core/budget
 * The product budget as pure rules (issue 9, part 1; seeds 000 "daily budget" and 004 "budgets"): the UTC period a
 * budget counts over, its state, the accrual of cumulative run costs and the bounded burndown series. Every rule
 * takes `now` (ms epoch) as a parameter; money is in USD on the wire and in whole micro-dollars in every sum and
 * comparison (ten runs of $0.10 reach a $1 ceiling: in floats they sum to 0.9999999999999999), times in ms.
 *
 * PAUSES — two independent facts: an operator's pause (`pausedBy: "operator"`, kept until resumed) and exhaustion
 * (spend ≥ ceiling, unless an operator chose to run this period over it: `overrun`). Either pauses dispatch; an
 * operator's pause never hides exhaustion.
 */
import type { BudgetPoint } from "./budget-burndown.ts";
import { type BudgetPeriod, nextPeriodStart, periodStartOf } from "./budget-period.ts";
import { firstCount, type SpentSince, spentSinceOf } from "./budget-since.ts";

// The period and burndown rules live in their own files; re-exported so callers read the budget's rules in one place.
export {
  addPoint,
  BURNDOWN_COALESCE_MS,
  BURNDOWN_MAX_POINTS,
  type BudgetPoint,
  burndownFrom,
} from "./budget-burndown.ts";
export { BUDGET_PERIODS, type BudgetPeriod, nextPeriodStart, periodStartOf } from "./budget-period.ts";

/**
 * `overrun`: the spend is at or over the ceiling and dispatch goes on because an operator resumed the exhaustion
 * pause (it says so until the period rolls over or the spend is under the ceiling again).
 */
export type BudgetState = "ok" | "warning" | "paused" | "overrun";
export const BUDGET_STATES = ["ok", "warning", "paused", "overrun"] as const;
export type OnExhausted = "pause" | "stop";

/** The share of the ceiling at which the budget warns (issue 9: "at 80 % a budget_warning alert"). */
export const WARN_FRACTION = 0.8;
/** WARN_FRACTION as the integers 4/5, to compare `spent ≥ ceiling × 0.8` in micro-dollars without a float product. */
const WARN_NUM = 4;
const WARN_DEN = 5;
/**
 * Micro-dollars per dollar: a millionth of a dollar is below any report worth counting, and 2^53 of them (~$9 × 10⁹)
 * is far beyond the largest ceiling ($10 M, shared/api-budget), so sums stay exact integers.
 */
const MICROS_PER_USD = 1_000_000;

/** USD → whole micro-dollars (the unit every sum and comparison uses). */
export function toMicros(usd: number): number {
  return Math.round(usd * MICROS_PER_USD);
}

/** Whole micro-dollars → USD: the nearest double to a 6-decimal amount, so toMicros gives the integer back. */
export function fromMicros(micros: number): number {
  return micros / MICROS_PER_USD;
}

/** `a + b` USD, summed in micro-dollars: exact, whatever the number of terms. */
export function addUsd(a: number, b: number): number {
  return fromMicros(toMicros(a) + toMicros(b));
}

/** Who paused the budget: an operator (stays until resumed) or exhaustion (lifted at rollover or a higher ceiling). */
export type PausedBy = "operator" | "exhausted";

/** A product budget as stored (coordinator/policies/budget). */
export interface ProductBudget {
  period: BudgetPeriod;
  ceilingUsd: number;
  onExhausted: OnExhausted;
  /** Start of the period the spend counts in (ms, UTC boundary). */
  periodStart: number;
  /** USD, always a whole number of micro-dollars (summed with addUsd). */
  spentUsd: number;
  /** An operator's pause. (Documents stored before exhaustion had its own field said "exhausted" here: normalize.) */
  pausedBy?: "operator";
  /** Dispatch is paused by exhaustion: `exhausts(b)` when the budget was last saved (its change raises the alert). */
  exhausted?: boolean;
  /** An operator resumed an exhaustion pause: exhaustion does not pause again until the period rolls over. */
  overrun?: boolean;
  /** Since when the spend counts (core/budget-since); absent from older documents: the period's start. */
  countsFrom?: SpentSince;
  /** When the rule was last set (`PUT …/budget`), ms epoch; absent from older documents. */
  ruleSetAt?: number;
  /** Tokens reported with no USD this period (core/unpriced): shown; charged only as `estimatedUsd`; absent = 0. */
  unpricedTokens?: number;
  /** Of `spentUsd`, USD charged at the operator's token prices, not reported (core/price-estimate); absent = 0. */
  estimatedUsd?: number;
  burndown: BudgetPoint[];
}

/**
 * A stored document in today's shape: spend and ceiling rounded to micro-dollars (older ones summed floats and kept
 * the ceiling as given) and the pause of older ones split — `pausedBy: "exhausted"` was the exhaustion pause, now
 * `exhausted`.
 */
export function normalize(stored: Omit<ProductBudget, "pausedBy"> & { pausedBy?: PausedBy }): ProductBudget {
  const { pausedBy, ...rest } = stored;
  return {
    ...rest,
    spentUsd: fromMicros(toMicros(stored.spentUsd)),
    ceilingUsd: fromMicros(toMicros(stored.ceilingUsd)),
    ...(pausedBy === "operator" ? { pausedBy } : {}),
    ...(pausedBy === "exhausted" ? { exhausted: true } : {}),
  };
}

/** The ceiling's warning line, USD (to the micro-dollar). */
export function warnAtUsd(b: Pick<ProductBudget, "ceilingUsd">): number {
  return fromMicros(Math.ceil((toMicros(b.ceilingUsd) * WARN_NUM) / WARN_DEN));
}

/** Whether the spend is at or over 80 % of the ceiling, in micro-dollars. */
export function warns(b: Pick<ProductBudget, "ceilingUsd" | "spentUsd">): boolean {
  return toMicros(b.spentUsd) * WARN_DEN >= toMicros(b.ceilingUsd) * WARN_NUM;
}

/** Whether the spend has reached the ceiling, in micro-dollars (whoever paused, whatever was resumed). */
export function overCeiling(b: Pick<ProductBudget, "ceilingUsd" | "spentUsd">): boolean {
  return toMicros(b.spentUsd) >= toMicros(b.ceilingUsd);
}

/** Whether exhaustion pauses dispatch: the spend reached the ceiling and no operator chose to run over it. */
export function exhausts(b: Pick<ProductBudget, "ceilingUsd" | "spentUsd" | "overrun">): boolean {
  return overCeiling(b) && !b.overrun;
}

/**
 * The pause in force, as `resume` lifts them: an operator's first, then exhaustion's (an operator's pause over an
 * exhausted budget lifts to a pause by exhaustion, which a second, deliberate resume turns into an overrun).
 */
export function pausedByOf(b: Pick<ProductBudget, "pausedBy" | "exhausted">): PausedBy | undefined {
  return b.pausedBy ?? (b.exhausted ? "exhausted" : undefined);
}

/**
 * `paused` when anyone paused it, else `overrun` over the ceiling by an operator's choice, else `warning` at ≥ 80 %
 * of the ceiling, else `ok`.
 */
export function budgetState(
  b: Pick<ProductBudget, "ceilingUsd" | "spentUsd" | "pausedBy" | "exhausted" | "overrun">,
): BudgetState {
  if (pausedByOf(b)) return "paused";
  if (b.overrun && overCeiling(b)) return "overrun";
  return warns(b) ? "warning" : "ok";
}

/**
 * The budget at `now`: unchanged inside its period; past the boundary, a fresh period starting at the boundary
 * holding `now` with nothing spent, the exhaustion pause and the overrun lifted (an operator's pause stays).
 * (`exhausted` is left out for the caller's save to recompute and compare: the change clears the alert.)
 */
export function rollover(b: ProductBudget, now: number): ProductBudget {
  if (now < nextPeriodStart(b.period, b.periodStart)) return b;
  const periodStart = periodStartOf(b.period, now);
  return {
    period: b.period,
    ceilingUsd: b.ceilingUsd,
    onExhausted: b.onExhausted,
    periodStart,
    spentUsd: 0,
    countsFrom: { at: periodStart, cause: "period_start" },
    ...(b.pausedBy === "operator" ? { pausedBy: "operator" as const } : {}),
    burndown: [{ at: periodStart, spentUsd: 0 }],
  };
}

/** What `PUT …/budget` sets. */
export interface BudgetRule {
  period: BudgetPeriod;
  ceilingUsd: number;
  onExhausted: OnExhausted;
}

/**
 * The budget after `rule` is set at `now` over `before` (already rolled over to `now`). The same period keeps its
 * start, spend, burndown and overrun. A new period starts at the boundary holding `now` and CARRIES the spend over:
 * what was spent cannot be recounted for the new period (runs are not kept here with their times), and starting
 * from zero let an operator erase the spend, or lift an exhaustion pause, by switching day → week → day. Carried
 * spend counts until the new period's boundary: a shorter period may be over-charged until then. A period that began
 * before the carried spend's count did (day → week on a Wednesday, day or week → month, month → a week begun in the
 * previous month) is under-charged by what was spent in it before that count began: those runs are not here.
 * The burndown is kept when the new period holds the old one (its points are inside it), else starts at the carry
 * (or, for a first budget, when it was set: the later of the period's start and the count's). Unpriced tokens, and
 * the estimated part of the spend, are kept as the spend is.
 * An overrun ends: it was granted for a period that is no longer the rule. The count's start (core/budget-since):
 * kept for the same period; a first budget's is `now`; carried spend keeps its own, `carried_over`. `ruleSetAt`: now.
 */
export function applyRule(before: ProductBudget | undefined, given: BudgetRule, now: number): ProductBudget {
  // The ceiling to the micro-dollar, the unit it is compared in: kept raw, $25.0000004 was exhausted at $25.00 spent
  // while every view read the spend as under it ("spent $25.00 of $25.0000004", paused).
  const rule = { ...given, ceilingUsd: fromMicros(toMicros(given.ceilingUsd)) };
  const kept = {
    ...(before?.pausedBy ? { pausedBy: before.pausedBy } : {}),
    ...(before?.exhausted ? { exhausted: true } : {}),
    ...(before?.unpricedTokens ? { unpricedTokens: before.unpricedTokens } : {}), // carried as the spend is
    ...(before?.estimatedUsd ? { estimatedUsd: before.estimatedUsd } : {}),
  };
  if (before?.period === rule.period) {
    const { periodStart, spentUsd, burndown } = before;
    const counts = { countsFrom: spentSinceOf(before), ruleSetAt: now };
    return {
      ...rule,
      periodStart,
      spentUsd,
      ...kept,
      ...(before.overrun ? { overrun: true } : {}),
      ...counts,
      burndown,
    };
  }
  const periodStart = periodStartOf(rule.period, now);
  const spentUsd = before?.spentUsd ?? 0;
  // A first budget counts from now (runs before it are not counted); carried spend from when its count began.
  const carried = before && spentSinceOf(before);
  const sameStart = carried?.cause === "period_start" && carried.at === periodStart; // day → week on a Monday
  const countsFrom: SpentSince = !carried
    ? firstCount(periodStart, now)
    : sameStart
      ? carried
      : { at: carried.at, cause: "carried_over" };
  // From since when the spend counts, not the period's start: set on day 20 of 30, a line from day 1 at $0 said
  // nothing was spent for 19 days (core/budget-burndown `burndownFrom` reads older documents the same way).
  const burndown =
    before && periodStart <= before.periodStart
      ? before.burndown
      : [{ at: Math.max(periodStart, countsFrom.at), spentUsd }];
  return { ...rule, periodStart, spentUsd, ...kept, countsFrom, ruleSetAt: now, burndown };
}
