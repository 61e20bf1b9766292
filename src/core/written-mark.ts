/**
 * @module core/written-mark
 * The written part of a run's token mark (`run_spend.tokens_out`, sent as `welcome.leases[].runSpent.tokensOut`,
 * core/job-budget `RunSpent`): what lets a restarted agent fold the run's earlier tokens by side (agent/run-usage), so
 * the token price estimate (core/prices) prices them exactly rather than all at the dearer rate. Pure.
 */
import type { Insights } from "./model.ts";

/**
 * A run's written-token mark after one report, kept beside its in + out mark `tokens` (`run_spend.tokens_out`): the
 * highest cumulative `tokensOut` its reports said, as `tokens` is their highest in + out; clamped to `tokens`: the two
 * maxima may come from different reports (engines of one lease), and a `welcome` never says more were written.
 * Unknown stays unknown: a run whose mark had tokens but no written part (a row from before the column) or a report
 * whose split is unknown (`baseTokens` > 0: an earlier engine's tokens as one sum, agent/run-usage `runUsage`) gives
 * undefined — a later written figure alone would leave out the earlier engines' and read them as read, too cheap —
 * and so does a report that raises `tokens` with fewer written than the mark (it did not fold the base by side).
 * @param before the run's mark before the report: tokens (in + out) and its written part (undefined: unknown)
 * @param insights the report's cumulative insights (absent fields: 0)
 * @param tokens the run's in + out mark after the report (≥ `before.tokens`)
 * @returns whole tokens in [0, tokens], or undefined when the split is unknown
 */
export function writtenMark(
  before: { tokens: number; tokensOut?: number },
  insights: Pick<Insights, "tokensOut" | "baseTokens"> | undefined,
  tokens: number,
): number | undefined {
  const known = before.tokensOut ?? (before.tokens > 0 ? undefined : 0);
  if (known === undefined || (insights?.baseTokens ?? 0) > 0) return undefined;
  const out = insights?.tokensOut ?? 0;
  // Raised in + out with fewer written than the mark: the reporter did not fold the base by side (an agent from
  // before runSpent.tokensOut, or a priced base on tokensIn), so the new engine's written part is not in the mark.
  if (tokens > before.tokens && out < known) return undefined;
  return Math.min(Math.max(known, out), tokens);
}
