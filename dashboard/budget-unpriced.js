/**
 * @module dashboard/budget-unpriced
 * The budget page's unpriced line (budget.js, under the spend): the tokens runs reported this period with no USD
 * figure (a Codex run's; a Claude run's cut before its result), which the spend holds only as the estimate at
 * settings prices (the estimate line, `estimatedText`) — in the words
 * `gigafactory budget` prints (core/unpriced `unpricedWords`; test/unit/dashboard-budget-unpriced holds them equal).
 */

/** 1204311 → "1,204,311" (grouped by thousands, whatever the browser's locale). @param {number} n */
const grouped = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * @param {{ unpricedTokens?: number, estimatedUsd?: number }} b the budget as GET …/budget answers it (the fields
 *   absent from an older coordinator: nothing said, and no estimate)
 * @returns {string} e.g. "Unpriced: 1,204,311 tokens (engine reported no USD — not counted against the ceiling)", or ""
 *   when there are none
 */
export function unpricedText(b) {
  const n = b.unpricedTokens ?? 0;
  if (!(n > 0)) return "";
  const why =
    (b.estimatedUsd ?? 0) > 0
      ? "counted against the ceiling only as the estimate, where settings prices the engine"
      : "not counted against the ceiling";
  return `Unpriced: ${grouped(n)} ${n === 1 ? "token" : "tokens"} (engine reported no USD — ${why})`;
}

/**
 * The budget page's estimate line: how much of the spend was charged at settings `prices` for tokens no USD came for
 * (core/price-estimate `estimatedWords`, as `gigafactory budget` prints it), until the engine reports USD.
 * @param {{ estimatedUsd?: number }} b the budget as GET …/budget answers it (absent from an older coordinator)
 * @param {(usd: number) => string} usd how the page writes an amount (its spend's decimals)
 * @returns {string} e.g. "Estimated: $1.50 of the spend (unpriced tokens at settings prices, …)", or "" at none
 */
export function estimatedText(b, usd) {
  const e = b.estimatedUsd ?? 0;
  if (!(e > 0)) return "";
  return `Estimated: ${usd(e)} of the spend (unpriced tokens at settings prices, until the engine reports USD)`;
}
