// usd.js — a USD amount for people to read: whole cents as cents ($0.05), an amount below a cent with two significant
// digits ($0.0012) — `toFixed(2)` showed every sub-cent run cost as $0.00. The same rule as src/core/usd-text.ts (the
// dashboard cannot import it); test/unit/experiment-cost-text.test.ts proves the two agree.

/**
 * `usd` (US dollars) as text: `$` and two decimals from a cent up (or 0), two significant digits below a cent,
 * `<$0.000001` under a millionth of a dollar; a leading `-` when negative, in every case (`-$12.30`, `-$0.0012`,
 * `-<$0.000001`; -0 is `$0.00`); "—" for NaN or ±Infinity.
 * @param {number} usd
 * @returns {string}
 */
export function usdText(usd) {
  if (!Number.isFinite(usd)) return "—";
  const sign = usd < 0 ? "-" : "";
  const x = Math.abs(usd);
  if (x === 0 || x >= 0.01) return `${sign}$${x.toFixed(2)}`;
  // Under a millionth of a dollar no run cost means anything: say so rather than print 0.00000…, keeping the sign
  // (a tiny credit is not a tiny charge).
  if (x < 1e-6) return `${sign}<$0.000001`;
  const decimals = 1 - Math.floor(Math.log10(x));
  let text = x.toFixed(decimals);
  // Rounding up to the next power of ten adds a digit (0.000999 → 0.00100): one decimal fewer keeps two.
  if (Number(text) >= 10 ** (2 - decimals)) text = x.toFixed(decimals - 1);
  return Number(text) >= 0.01 ? `${sign}$0.01` : `${sign}$${text}`;
}
