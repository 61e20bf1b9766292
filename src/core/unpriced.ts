/**
 * @module core/unpriced
 * The tokens no USD figure came for, as pure rules: what a run reports unpriced, how a run's figure is kept from its
 * cumulative reports, the budget period's sum, and the words that say it. Codex reports tokens only, and Claude Code's
 * USD comes only with its final `result` line (agent/engine-formats): such a run is charged $0, so the budget counts
 * none of its spend. No price is made up here (prices are the owner's to set): these tokens are counted and shown,
 * and charged only where the operator set a price for their engine (core/prices, core/price-estimate).
 */
import type { Insights } from "./model.ts";

/** 2 × 10¹²: the most a report can hold (in + out, each ≤ 10¹² on the wire: shared/api-work `InsightsBody`). */
export const MAX_UNPRICED_TOKENS = 2e12;

const tokensOf = (u: Pick<Insights, "tokensIn" | "tokensOut">): number => (u.tokensIn ?? 0) + (u.tokensOut ?? 0);

/**
 * A run's unpriced tokens (in + out) from the agent's view: the engine's own tokens when it gave no USD, plus, for a
 * resumed run, what an earlier engine spent (`base`, tokens in + out and USD) when that had no USD either. A priced
 * report gives 0 for its part: its USD covers its tokens.
 * @param engine the engine's cumulative usage (`costUsd` absent: no USD came)
 * @param base the run's spend before this engine (a resumed lease's `runSpent`), undefined for a first engine
 * @returns a whole number of tokens, 0…MAX_UNPRICED_TOKENS
 */
export function unpricedOf(
  engine: Pick<Insights, "tokensIn" | "tokensOut" | "costUsd">,
  base?: { usd: number; tokens: number },
): number {
  const own = engine.costUsd === undefined ? tokensOf(engine) : 0;
  const earlier = base && base.usd <= 0 ? base.tokens : 0;
  return Math.min(own + earlier, MAX_UNPRICED_TOKENS);
}

/** What a run's reports have said so far, as kept (`run_spend`): USD, tokens (in + out) and the unpriced part. */
export interface UnpricedMark {
  costUsd: number;
  tokens: number;
  unpricedTokens: number;
}

/**
 * A run's unpriced tokens after one cumulative report over its mark `seen`. Unlike spend it can fall: a Claude run's
 * tokens are unpriced until its `result` brings the USD. So a report counts only when it is not older than the mark
 * (neither its USD nor its tokens below it): a resent report, or an older one arriving late, moves nothing; of two
 * reports with equal USD and tokens the smaller figure stands (a figure once priced is not unpriced again). A report
 * never holds more unpriced tokens than tokens (it is cut to them). Returns the run's new figure and `delta`, what the
 * period's sum changes by (negative when tokens were priced).
 * @param reported the report's USD, tokens (in + out) and `unpricedTokens` (absent from an older agent: 0)
 */
export function accrueUnpriced(
  seen: UnpricedMark,
  reported: { costUsd: number; tokens: number; unpricedTokens?: number },
): { unpricedTokens: number; delta: number } {
  const older = reported.costUsd < seen.costUsd || reported.tokens < seen.tokens;
  const said = Math.min(reported.unpricedTokens ?? 0, reported.tokens, MAX_UNPRICED_TOKENS);
  const tie = reported.costUsd === seen.costUsd && reported.tokens === seen.tokens;
  const unpricedTokens = older ? seen.unpricedTokens : tie ? Math.min(said, seen.unpricedTokens) : said;
  return { unpricedTokens, delta: unpricedTokens - seen.unpricedTokens };
}

/** A period's unpriced tokens plus `delta` (a run's change), kept within 0…MAX_UNPRICED_TOKENS × 1000. */
export function addUnpriced(sum: number | undefined, delta: number): number {
  // A run counted in an earlier period and priced in this one would take this period below zero.
  return Math.min(Math.max(0, (sum ?? 0) + delta), MAX_UNPRICED_TOKENS * 1000);
}

/**
 * What a run's change `delta` (tokens, from `accrueUnpriced`) does to the current budget period's sum, given
 * `counted`: how many of the run's unpriced tokens that period's sum holds (0 for a run counted only in an earlier
 * period, or while no budget was set). A rise counts whole; a fall takes off at most what this period counted of the
 * run: a run counted before midnight and priced after it took the new period's other runs' tokens off its sum (the
 * clamp at 0 then said "0 unpriced" while they were still unpriced).
 * @returns `applied`, the period sum's change, and `counted`, this period's count of the run after it (≥ 0)
 */
export function periodShare(delta: number, counted: number): { applied: number; counted: number } {
  const applied = delta >= 0 ? delta : Math.max(delta, -counted);
  return { applied, counted: counted + applied };
}

/** 1204311 → "1,204,311" (grouped by thousands, whatever the locale). */
export function groupedCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * What the budget's unpriced line says after its label, e.g. "1,204,311 tokens (engine reported no USD — …)".
 * @param estimated some of the period's spend is an estimate at settings `prices` (core/price-estimate): those
 *   engines' tokens are in the spend as that estimate, the others' are not
 */
export function unpricedWords(tokens: number, estimated = false): string {
  const why = estimated
    ? "counted against the ceiling only as the estimate, where settings prices the engine"
    : "not counted against the ceiling";
  return `${groupedCount(tokens)} ${tokens === 1 ? "token" : "tokens"} (engine reported no USD — ${why})`;
}
