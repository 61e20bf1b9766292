/**
 * @module core/usd-text
 * A USD amount for people to read. Whole cents print as cents ($0.05, $12.30); an amount below a cent prints with
 * two significant digits ($0.0012, $0.000047), because engine runs often cost fractions of a cent and `toFixed(2)`
 * printed every one of them as $0.00 — an arm's mean cost, a recommendation's "$0.00 vs $0.00". The dashboard has
 * the same rule in dashboard/usd.js (it cannot import this file); test/unit/experiment-cost-text proves they agree.
 */

/**
 * `usd` (a number of US dollars) as text: `$` and two decimals from one cent up (or exactly 0), two significant
 * digits below a cent, `<$0.000001` under a millionth of a dollar; a leading `-` for a negative amount in every
 * case (`-$12.30`, `-$0.0012`, `-<$0.000001`; -0 is `$0.00`); "—" for NaN or ±Infinity. Pure.
 */
export function usdText(usd: number): string {
  if (!Number.isFinite(usd)) return "—";
  const sign = usd < 0 ? "-" : "";
  const x = Math.abs(usd);
  if (x === 0 || x >= 0.01) return `${sign}$${x.toFixed(2)}`;
  // Under a millionth of a dollar no run cost means anything: say so rather than print 0.00000…, keeping the sign
  // (a tiny credit is not a tiny charge).
  if (x < 1e-6) return `${sign}<$0.000001`;
  // Decimals for two significant digits: 0.0012 → 4, 0.000047 → 6 (at most 7, from 1e-6 up).
  const decimals = 1 - Math.floor(Math.log10(x));
  let text = x.toFixed(decimals);
  // Rounding up to the next power of ten adds a digit (0.000999 → 0.00100): one decimal fewer keeps two.
  if (Number(text) >= 10 ** (2 - decimals)) text = x.toFixed(decimals - 1);
  // 0.00999 rounds to 0.010 at two significant digits: that is a cent, printed as one.
  return Number(text) >= 0.01 ? `${sign}$0.01` : `${sign}$${text}`;
}
