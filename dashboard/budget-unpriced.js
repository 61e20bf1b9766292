/**
 * @module dashboard/budget-unpriced
 * The budget page's unpriced line (budget.js, under the spend): the tokens runs reported this period with no USD
 * figure (a Codex run's; a Claude run's cut before its result), which the spend does not hold — in the words
 * `gigafactory budget` prints (core/unpriced `unpricedWords`; test/unit/dashboard-budget-unpriced holds them equal).
 */

/** 1204311 → "1,204,311" (grouped by thousands, whatever the browser's locale). @param {number} n */
const grouped = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * @param {{ unpricedTokens?: number }} b the budget as GET …/budget answers it (the field absent from an older
 *   coordinator: nothing said)
 * @returns {string} e.g. "Unpriced: 1,204,311 tokens (engine reported no USD — not counted against the ceiling)", or ""
 *   when there are none
 */
export function unpricedText(b) {
  const n = b.unpricedTokens ?? 0;
  if (!(n > 0)) return "";
  return `Unpriced: ${grouped(n)} ${n === 1 ? "token" : "tokens"} (engine reported no USD — not counted against the ceiling)`;
}
