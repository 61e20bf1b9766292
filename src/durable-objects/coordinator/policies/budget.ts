/**
 * @module durable-objects/coordinator/policies/budget
 * CONTRACT (issue 9) — the product budget as other parts read it. The budget part owns this file and fills it in
 * (storage, accrual, pause/stop, rollover); the metrics part reads `budgetSnapshot`.
 */
import type { Tx } from "../runtime/tx.ts";

export interface BudgetSnapshot {
  period: "day" | "week" | "month";
  ceilingUsd: number;
  spentUsd: number;
  state: "ok" | "warning" | "paused";
  /** Start of the current period, ms epoch (UTC boundary). */
  periodStart: number;
}

/** The product's budget in its current period at `tx.now`, or undefined when none is set. */
export function budgetSnapshot(_tx: Tx): BudgetSnapshot | undefined {
  return undefined;
}
