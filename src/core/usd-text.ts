/**
 * @module core/usd-text
 * A USD amount for people to read. Whole cents print as cents ($0.05, $12.30); an amount below a cent prints with
 * two significant digits ($0.0012, $0.000047), because engine runs often cost fractions of a cent and `toFixed(2)`
 * printed every one of them as $0.00 — an arm's mean cost, a recommendation's "$0.00 vs $0.00". The dashboard has
 * the same rule in dashboard/usd.js (it cannot import this file); test/unit/experiment-cost-text proves they agree.
 * Amounts read together (spent of ceiling) go through `usdTexts`, which gives them shared, sufficient decimals.
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

/** Most decimals `usdTexts` uses: two significant digits of a millionth of a dollar, where `usdText` stops too. */
const MAX_DECIMALS = 7;

/**
 * Amounts read side by side — "spent X of Y", "warns at Z" — as text with one shared number of decimals (2 to 7,
 * trailing zeros past the cents dropped): enough for every amount to keep two significant digits and for two amounts
 * that differ by more than 1e-7 $ to print differently. `usdText` alone rounds $0.037 to $0.04 and $0.024 to $0.02,
 * so a $0.03 budget read "spent $0.04 of $0.03 (123 %)" and "spent $0.03 of $0.03" while not exhausted. Rounding
 * to shared decimals never reverses an order (a < b reads back as a ≤ b). Out: one text per amount, same order;
 * NaN/±Infinity and amounts under a millionth print as `usdText` does. Pure.
 */
export function usdTexts(amounts: readonly number[]): string[] {
  const shown = amounts.filter((x) => Number.isFinite(x) && Math.abs(x) >= 1e-6);
  let decimals = 2;
  for (const x of shown) decimals = Math.max(decimals, 1 - Math.floor(Math.log10(Math.abs(x))));
  decimals = Math.min(decimals, MAX_DECIMALS);
  const alike = (d: number) =>
    shown.some((a, i) => shown.some((b, j) => j > i && a !== b && a.toFixed(d) === b.toFixed(d)));
  while (decimals < MAX_DECIMALS && alike(decimals)) decimals += 1;
  return amounts.map((x) => {
    if (!Number.isFinite(x) || x === 0 || Math.abs(x) < 1e-6) return usdText(x);
    // Cents always show; a third or later decimal only when it carries a digit ($0.030 reads as $0.03).
    const text = Math.abs(x)
      .toFixed(decimals)
      .replace(/(\.\d\d\d*?)0+$/, "$1");
    return `${x < 0 ? "-" : ""}$${text}`;
  });
}

/**
 * A spend against its ceiling — "spent X of Y" — as `[spent, ceiling]`: `usdTexts` of the pair alone, the one text of
 * that pair wherever it is read (the `budget_paused` waiting reason, `gigafactory budget`, the dashboard's copy in
 * dashboard/usd.js). `budget` shared the pair's decimals with its warning level and burndown points, so one sub-cent
 * point made the waiting reason's "$12.35 of $12.00" read "$12.3456 of $12.00" there. Pure.
 */
export function spendTexts(spentUsd: number, ceilingUsd: number): [spent: string, ceiling: string] {
  const [spent = "", ceiling = ""] = usdTexts([spentUsd, ceilingUsd]);
  return [spent, ceiling];
}
