/**
 * @module cli/run-charge-text
 * One run's charge as the CLI words it, wherever a run is read: `job`'s runs table (cli/commands/job-spend
 * `spendText`) and `history --kind runs` (cli/commands/history). A run's charge is its reported USD plus the part
 * estimated for its unpriced tokens at settings prices (core/price-estimate); the words after it say how many of its
 * tokens no USD came for and which part of the charge is an estimate — "(500,000 unpriced, $1.80 estimated)", the
 * words `budget`'s estimate line ends on too (core/price-estimate `estimatedWords`). History said
 * "— (500,000 unpriced)" for a run `job` said was charged "$1.80 … (500,000 unpriced, $1.80 estimated)".
 */
import { fromMicros, toMicros } from "../core/budget.ts";
import { groupedCount } from "../core/unpriced.ts";
import { usdTexts } from "../core/usd-text.ts";

/**
 * What follows a run's charge: " (N unpriced, $X estimated)", either part alone, or "" with neither.
 * @param unpricedTokens of its tokens, those no USD came for (0 or absent: none)
 * @param estimated the estimated part of its charge as text (absent: none), in the charge's decimals
 */
export function chargeNotes(unpricedTokens: number | undefined, estimated: string | undefined): string {
  const notes = [
    unpricedTokens ? `${groupedCount(unpricedTokens)} unpriced` : undefined,
    estimated ? `${estimated} estimated` : undefined,
  ].filter(Boolean);
  return notes.length ? ` (${notes.join(", ")})` : "";
}

/**
 * A run's charge, its reported `usd` plus its `estimatedUsd` (USD; summed in whole micro-dollars, as the coordinator
 * charges them), and the estimated part, in one set of decimals (core/usd-text `usdTexts`: a $0.0012 estimate beside
 * a $1.50 charge keeps its digits). `estimated` is absent when nothing was estimated (`estimatedUsd` ≤ 0 or absent).
 */
export function chargeTexts(usd: number, estimatedUsd: number | undefined): { charge: string; estimated?: string } {
  const part = Math.max(0, toMicros(estimatedUsd ?? 0));
  const [charge = "", estimated = ""] = usdTexts([fromMicros(toMicros(usd) + part), fromMicros(part)]);
  return part > 0 ? { charge, estimated } : { charge };
}
