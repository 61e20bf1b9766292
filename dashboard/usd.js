// usd.js — a USD amount for people to read: whole cents as cents ($0.05), an amount below a cent with two significant
// digits ($0.0012) — `toFixed(2)` showed every sub-cent run cost as $0.00. The same rule as src/core/usd-text.ts (the
// dashboard cannot import it); test/unit/experiment-cost-text.test.ts proves the two agree, and usdTexts (amounts read
// side by side) is core's too (test/unit/usd-texts.test.ts).

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

/** Most decimals `usdTexts` uses: two significant digits of a millionth of a dollar, where `usdText` stops too. */
const MAX_DECIMALS = 7;

/**
 * Amounts read side by side ("spent X of Y", "warns at Z") with one shared number of decimals (2 to 7, zeros past
 * the cents dropped), so each keeps two significant digits and different amounts never read alike: `usdText` alone
 * showed a $0.03 budget as "$0.04 of $0.03" at 123 %, and its warning line $0.024 as $0.02. As core/usd-text.
 * @param {readonly number[]} amounts USD
 * @returns {string[]} one text per amount, same order
 */
export function usdTexts(amounts) {
  const shown = amounts.filter((x) => Number.isFinite(x) && Math.abs(x) >= 1e-6);
  let decimals = 2;
  for (const x of shown) decimals = Math.max(decimals, 1 - Math.floor(Math.log10(Math.abs(x))));
  decimals = Math.min(decimals, MAX_DECIMALS);
  /** @param {number} d */
  const alike = (d) => shown.some((a, i) => shown.some((b, j) => j > i && a !== b && a.toFixed(d) === b.toFixed(d)));
  while (decimals < MAX_DECIMALS && alike(decimals)) decimals += 1;
  return amounts.map((x) => {
    if (!Number.isFinite(x) || x === 0 || Math.abs(x) < 1e-6) return usdText(x);
    const text = Math.abs(x)
      .toFixed(decimals)
      .replace(/(\.\d\d\d*?)0+$/, "$1");
    return `${x < 0 ? "-" : ""}$${text}`;
  });
}

/**
 * A spend against its ceiling as [spent, ceiling]: `usdTexts` of the pair alone, as core/usd-text `spendTexts` — the
 * waiting reason's "spent X of Y" — so the Budget page and the waiting panel read the amounts the message names.
 * @param {number} spentUsd @param {number} ceilingUsd
 * @returns {[string, string]}
 */
export function spendTexts(spentUsd, ceilingUsd) {
  const [spent = "", ceiling = ""] = usdTexts([spentUsd, ceilingUsd]);
  return [spent, ceiling];
}
