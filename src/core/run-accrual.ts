/**
 * @module core/run-accrual
 * A run's spend as it is charged: every report carries the run's cumulative usage, so only the increase over the
 * run's high-water mark counts (the product budget, the job's own budget, a late fenced report alike). In whole
 * micro-dollars (core/budget `toMicros`), so a run's charges add up to its last mark exactly. A closed run's stored
 * insights are raised to that mark (`raisedToMark`).
 */
import { fromMicros, toMicros } from "./budget.ts";
import type { Insights } from "./model.ts";

/** What a run has reported so far (cumulative), as accrued: USD and tokens (in + out). */
export interface RunSpend {
  costUsd: number;
  tokens: number;
}

/**
 * A run's marks as the coordinator keeps them (`run_spend`, `run_estimate`): its spend, of its tokens the written part
 * (core/written-mark `writtenMark`; absent: unknown — a row from before it was kept) and its estimated USD (0: none).
 */
export interface RunSpendMark extends RunSpend {
  tokensOut?: number;
  estimatedUsd: number;
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

/**
 * A closed run's insights raised to what it was charged (`mark`, its high-water mark): the cost to the mark's USD and
 * the tokens to the mark's (in + out). The mark keeps no split of its tokens, so the shortfall goes on `tokensIn`, as
 * the agent's `runUsage` (agent/insights) puts a resumed run's earlier tokens. Why: a run closed without a final
 * report (lease expiry, cancel, a budget stop), or raised later by a fenced report, was charged the tokens of its
 * progress reports (the job's `budget.tokens` counted them) while its stored insights showed none.
 * Never lowers a figure; answers `insights` itself (the same object) when nothing rises, so a caller tells a raise by
 * identity.
 * @param insights the run's stored insights (undefined: it reported none at its close)
 * @param mark what the run was charged: USD and tokens (in + out)
 */
export function raisedToMark(insights: Insights | undefined, mark: RunSpend): Insights | undefined {
  const costUsd = insights?.costUsd ?? 0;
  const tokens = (insights?.tokensIn ?? 0) + (insights?.tokensOut ?? 0);
  if (mark.costUsd <= costUsd && mark.tokens <= tokens) return insights;
  const raised: Insights = { ...insights };
  if (mark.costUsd > costUsd) raised.costUsd = mark.costUsd;
  if (mark.tokens > tokens) raised.tokensIn = (insights?.tokensIn ?? 0) + (mark.tokens - tokens);
  return raised;
}
