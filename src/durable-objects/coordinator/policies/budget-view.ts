/**
 * @module durable-objects/coordinator/policies/budget-view
 * The product budget as it is read — `GET …/budget`'s view, the metrics' snapshot, the waiting words' pause and the
 * alarm's next boundary — from the coordinator's SQLite (`budget`, one row) at `tx.now`, without writing (the
 * writes and their effects: policies/budget).
 */
import {
  type BudgetPeriod,
  type BudgetState,
  budgetState,
  burndownFrom,
  exhausts,
  nextPeriodStart,
  normalize,
  type OnExhausted,
  type ProductBudget,
  pausedByOf,
  rollover,
  warnAtUsd,
} from "../../../core/budget.ts";
import type { BudgetPause } from "../../../core/budget-pause.ts";
import { changedInPeriod, type SpentSinceCause, spentSinceOf } from "../../../core/budget-since.ts";
import { one, type Tx } from "../runtime/tx.ts";

export interface BudgetSnapshot {
  period: "day" | "week" | "month";
  ceilingUsd: number;
  spentUsd: number;
  state: BudgetState;
  /** Start of the current period, ms epoch (UTC boundary). */
  periodStart: number;
}

/** What `GET …/budget` answers: the snapshot plus the burndown and what the lines mean. */
export interface BudgetView extends BudgetSnapshot {
  onExhausted: OnExhausted;
  warnAtUsd: number;
  /** When the period rolls over, ms epoch. */
  periodEnd: number;
  pausedBy?: "operator" | "exhausted";
  /** Exhaustion pauses dispatch, whoever else paused: under an operator's pause, what a resume leaves in force. */
  exhausted: boolean;
  /** Since when the spend counts, ms epoch, and why (core/budget-since). */
  spentSince: number;
  spentSinceCause: SpentSinceCause;
  /** When the budget was changed later in the period, ms epoch; absent otherwise. */
  changedAt?: number;
  burndown: Array<{ at: number; spentUsd: number }>;
  /** Tokens reported with no USD this period (core/unpriced): counted against the ceiling only as `estimatedUsd`. */
  unpricedTokens: number;
  /** Of `spentUsd`, USD charged at the operator's token prices until an engine reports USD (core/price-estimate). */
  estimatedUsd: number;
}

/** The stored budget in today's shape (core/budget `normalize`: older documents summed floats, had one pause). */
export function loadBudget(sql: SqlStorage): ProductBudget | undefined {
  const row = one<{ doc: string }>(sql, "SELECT doc FROM budget WHERE id = 1");
  return row ? normalize(JSON.parse(row.doc)) : undefined;
}

/** The product's budget in its current period at `tx.now`, or undefined when none is set. Read-only. */
export function budgetSnapshot(tx: Tx): BudgetSnapshot | undefined {
  const stored = loadBudget(tx.sql);
  if (!stored) return undefined;
  const b = rollover(stored, tx.now);
  return {
    period: b.period,
    ceilingUsd: b.ceilingUsd,
    spentUsd: b.spentUsd,
    state: budgetState(b),
    periodStart: b.periodStart,
  };
}

/**
 * The pause in force as the waiting words read it (core/budget-pause), read-only at `tx.now`: null with no budget
 * set (an operator's pause alone, policies/budget-unset — no spend or ceiling to name); undefined when the budget
 * has no pause.
 */
export function budgetPauseOf(tx: Tx): BudgetPause | null | undefined {
  const stored = loadBudget(tx.sql);
  if (!stored) return null;
  const b = rollover(stored, tx.now);
  const pausedBy = pausedByOf(b);
  if (!pausedBy) return undefined;
  const { period, spentUsd, ceilingUsd } = b;
  const periodEnd = nextPeriodStart(b.period, b.periodStart);
  return { pausedBy, exhausted: exhausts(b), period, spentUsd, ceilingUsd, periodEnd };
}

/**
 * The budget's period and its start (ms) as one text `period@start`, for runtime/alarm's NEXT_DUE_SQL: two fields,
 * not the whole document (the alarm asks after units, and the burndown is most of the row). Null with no budget.
 */
export const BUDGET_PERIOD_SQL =
  "SELECT json_extract(doc, '$.period') || '@' || json_extract(doc, '$.periodStart') FROM budget WHERE id = 1";

/** When the alarm must wake to roll the period over (ms), from BUDGET_PERIOD_SQL's `period@start`, if any. */
export function budgetBoundaryOf(periodAt: string | null): number | undefined {
  if (!periodAt) return undefined;
  const [period, start] = periodAt.split("@");
  return nextPeriodStart(period as BudgetPeriod, Number(start));
}

/** The stored budget `b` as `GET …/budget` answers it (rolled over by the caller). */
export function viewBudget(b: ProductBudget): BudgetView {
  const since = spentSinceOf(b);
  const changedAt = changedInPeriod(b);
  return {
    period: b.period,
    ceilingUsd: b.ceilingUsd,
    spentUsd: b.spentUsd,
    state: budgetState(b),
    periodStart: b.periodStart,
    periodEnd: nextPeriodStart(b.period, b.periodStart),
    onExhausted: b.onExhausted,
    warnAtUsd: warnAtUsd(b),
    ...(pausedByOf(b) ? { pausedBy: pausedByOf(b) } : {}),
    exhausted: b.exhausted === true, // under an operator's pause too: what a resume leaves (cli/commands/budget)
    spentSince: since.at,
    spentSinceCause: since.cause,
    ...(changedAt === undefined ? {} : { changedAt }),
    burndown: burndownFrom(b.burndown, Math.max(b.periodStart, since.at)), // a document saved before: core/budget-burndown
    unpricedTokens: b.unpricedTokens ?? 0,
    estimatedUsd: b.estimatedUsd ?? 0,
  };
}
