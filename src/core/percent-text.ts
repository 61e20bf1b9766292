/**
 * @module core/percent-text
 * A rate said as a percentage that never rounds to an end it has not reached — the one rule for the CLI
 * (cli/number-text re-exports it) and the coordinator's own texts (core/recommendations: a factory failing 199 of
 * 200 runs read "fails 100 %", against "0 %" elsewhere for 1 in 300). The dashboard has its rule in
 * dashboard/format.js `wholePercent`.
 */

/**
 * `rate` (a fraction, 0 to 1) as a number of percent rounded to `decimals` decimals, without its unit (callers write
 * "%" or " %"): `0.125` → "12.5" with 1 decimal, "13" with 0. A rate above 0 that rounds to 0 reads "<1" (or "<0.1",
 * …) and one below 1 that rounds to 100 reads ">99" (">99.9"): only 0 and 1 exactly read "0" and "100". A value
 * outside [0, 1] or not finite is rounded as it is (no such rate is ever answered; nothing thrown).
 */
export function percentNumber(rate: number, decimals = 0): string {
  const scale = 10 ** decimals;
  const rounded = Math.round(rate * 100 * scale) / scale;
  const step = (1 / scale).toFixed(decimals);
  if (rate > 0 && rate < 1 && rounded <= 0) return `<${step}`;
  if (rate > 0 && rate < 1 && rounded >= 100) return `>${(100 - 1 / scale).toFixed(decimals)}`;
  return String(rounded);
}
