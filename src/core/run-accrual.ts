/**
 * @module core/run-accrual
 * A run's spend as it is charged: every report carries the run's cumulative usage, so only the increase over the
 * run's high-water mark counts (the product budget, the job's own budget, a late fenced report alike). In whole
 * micro-dollars (core/budget `toMicros`), so a run's charges add up to its last mark exactly.
 */
import { fromMicros, toMicros } from "./budget.ts";

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
  // The difference of the marks in micro-dollars: a run's deltas add up to its last mark exactly (telescoping),
  // where rounding each float delta would lose up to half a micro-dollar per report.
  const deltaUsd = fromMicros(toMicros(costUsd) - toMicros(seen.costUsd));
  return { deltaUsd, seen: { costUsd, tokens: Math.max(seen.tokens, reported.tokens) } };
}
