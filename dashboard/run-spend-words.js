/**
 * @module dashboard/run-spend-words
 * What the runs list (runs.js) says of a run's charge beside its insights: a running run's charge so far, its tokens
 * no USD came for, and the part of its charge estimated at settings prices (`spend.estimatedUsd`, core/price-estimate)
 * — the charge is `usd` plus that estimate, as the job's budget counts it and `gigafactory job ID` shows it; read
 * `usd` alone, a Codex run charged $1.50 showed "$0.00 … so far" and no word of an estimate.
 */
import { counted } from "./format.js";
import { usdTexts } from "./usd.js";

/**
 * The spend words of run `r` (a Run answer: `endedAt`, `spend` { usd, tokens, unpricedTokens?, estimatedUsd? }), in
 * order: "$1.75 · 500000 tokens so far" (running only), "400000 tokens unpriced", "$1.50 estimated at settings prices";
 * none without a spend. Amounts read together share decimals (usd.js `usdTexts`).
 * @param {any} r @returns {string[]}
 */
export function runSpendWords(r) {
  const s = r.spend;
  if (!s) return [];
  const estimated = s.estimatedUsd ?? 0;
  // Summed in whole micro-dollars, as the coordinator keeps the charge (floats would show $1.7499999).
  const charge = (Math.round(s.usd * 1e6) + Math.round(estimated * 1e6)) / 1e6;
  const [chargeText, estimatedText] = usdTexts([charge, estimated]);
  const words = [];
  // A running run's insights arrive when it ends; what its budget was charged so far is known before.
  if (!r.endedAt) words.push(`${chargeText} · ${counted(s.tokens, "token")} so far`);
  // Of its tokens, those no USD came for (a Codex run's; a Claude run's before its result): in its charge only as the
  // estimate, where settings prices its engine.
  if (s.unpricedTokens) words.push(`${counted(s.unpricedTokens, "token")} unpriced`);
  if (estimated > 0) words.push(`${estimatedText} estimated at settings prices`);
  return words;
}
