/**
 * @module core/budget
 * The product budget as pure rules (issue 9, part 1; seeds 000 "daily budget" and 004 "budgets"): the UTC period a
 * budget counts over, its state, the accrual of cumulative run costs and the bounded burndown series. Every rule
 * takes `now` (ms epoch) as a parameter; money is in USD, times in ms.
 */

export const BUDGET_PERIODS = ["day", "week", "month"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export type BudgetState = "ok" | "warning" | "paused";
export type OnExhausted = "pause" | "stop";

/** The share of the ceiling at which the budget warns (issue 9: "at 80 % a budget_warning alert"). */
export const WARN_FRACTION = 0.8;
/**
 * The most burndown points kept: a month of one point per minute would be 44 640; 288 still draws a smooth line
 * (a point every 5 minutes over a day) and keeps the stored row small (~10 KB).
 */
export const BURNDOWN_MAX_POINTS = 288;
/** Accruals within the same minute coalesce into one burndown point. */
export const BURNDOWN_COALESCE_MS = 60_000;

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

/** Who paused the budget: an operator (stays until resumed) or exhaustion (lifted at rollover or a higher ceiling). */
export type PausedBy = "operator" | "exhausted";

export interface BudgetPoint {
  /** ms epoch */
  at: number;
  spentUsd: number;
}

/** A product budget as stored (coordinator/policies/budget). */
export interface ProductBudget {
  period: BudgetPeriod;
  ceilingUsd: number;
  onExhausted: OnExhausted;
  /** Start of the period the spend counts in (ms, UTC boundary). */
  periodStart: number;
  spentUsd: number;
  pausedBy?: PausedBy;
  /** An operator resumed over the ceiling: exhaustion does not pause again until the period rolls over. */
  overrun?: boolean;
  burndown: BudgetPoint[];
}

/** The ceiling's warning line, USD. */
export function warnAtUsd(b: Pick<ProductBudget, "ceilingUsd">): number {
  return b.ceilingUsd * WARN_FRACTION;
}

/** `paused` when anyone paused it, else `warning` at ≥ 80 % of the ceiling, else `ok`. */
export function budgetState(b: Pick<ProductBudget, "ceilingUsd" | "spentUsd" | "pausedBy">): BudgetState {
  if (b.pausedBy) return "paused";
  return b.spentUsd >= warnAtUsd(b) ? "warning" : "ok";
}

/** Whether the spend has reached the ceiling and the budget should pause by exhaustion now. */
export function shouldExhaust(b: ProductBudget): boolean {
  return b.spentUsd >= b.ceilingUsd && !b.pausedBy && !b.overrun;
}

/**
 * The budget at `now`: unchanged inside its period; past the boundary, a fresh period starting at the boundary
 * holding `now` with nothing spent, the exhaustion pause and the overrun lifted (an operator's pause stays).
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
    ...(b.pausedBy === "operator" ? { pausedBy: "operator" as const } : {}),
    burndown: [{ at: periodStart, spentUsd: 0 }],
  };
}

/**
 * The series after spend reached `spentUsd` at `now`: a point in the same minute as the last one replaces it;
 * over BURNDOWN_MAX_POINTS, every other point but the first and last is dropped (the line keeps its shape).
 */
export function addPoint(series: readonly BudgetPoint[], at: number, spentUsd: number): BudgetPoint[] {
  const out = [...series];
  const last = out[out.length - 1];
  if (last && Math.floor(last.at / BURNDOWN_COALESCE_MS) === Math.floor(at / BURNDOWN_COALESCE_MS) && out.length > 1) {
    out[out.length - 1] = { at, spentUsd };
  } else {
    out.push({ at, spentUsd });
  }
  if (out.length <= BURNDOWN_MAX_POINTS) return out;
  return out.filter((_, i) => i === 0 || i === out.length - 1 || i % 2 === 1);
}

/** What a run has reported so far (cumulative), as accrued: USD and tokens (in + out). */
export interface RunSpend {
  costUsd: number;
  tokens: number;
}

/**
 * Accrue one cumulative report over what its run already reported: only the increase counts, so a report sent
 * twice, or an older one arriving late, adds nothing. Returns the USD to add and the run's new high-water mark.
 */
export function accrue(seen: RunSpend, reported: RunSpend): { deltaUsd: number; seen: RunSpend } {
  const costUsd = Math.max(seen.costUsd, reported.costUsd);
  return { deltaUsd: costUsd - seen.costUsd, seen: { costUsd, tokens: Math.max(seen.tokens, reported.tokens) } };
}
