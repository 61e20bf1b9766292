/**
 * @module cli/number-text
 * Numbers as the CLI prints them where rounding told something false. An operator's setting (a router weight, a
 * retry delay, a health threshold) prints as stored: `settings` rounded each to 6 decimals, so a weight of 1e-7 —
 * which the coordinator takes and the router uses — read "load 0", and `explain` printed it "0.000". A rate prints
 * rounded, but never to an end it has not reached: a factory with 199 successes of 200 read "100%", a run of 1
 * success in 1,000 "0 %".
 */

/**
 * `n` as stored: the shortest text that reads back as the same number (`1e-7`, `0.125`, `2.5`, `86400`), as
 * `settings set KEY=VALUE` takes it again (JavaScript's number-to-string, ECMA-262 Number::toString).
 */
export function storedNumber(n: number): string {
  return String(n);
}

/**
 * `n` with `decimals` decimals (`2.500`, so a column of them aligns) when that text is exactly `n`, else as stored
 * (`storedNumber`): a setting finer than the column's decimals (a weight of 1e-7 or 0.12345) is shown whole.
 */
export function decimalsOrStored(n: number, decimals: number): string {
  const fixed = n.toFixed(decimals);
  return Number(fixed) === n ? fixed : storedNumber(n);
}

/**
 * `x` with `decimals` decimals, unless that reads 0 while `x` is not: then two significant digits (`0.04`, `1e-7`),
 * as core/usd-text does for a cost below a cent. `explain` printed a track's mean run of 2 s as "0.0 min/run".
 */
export function decimalsOrSignificant(x: number, decimals: number): string {
  const fixed = x.toFixed(decimals);
  return Number(fixed) !== 0 || x === 0 ? fixed : String(Number(x.toPrecision(2)));
}

/** A rate as a number of percent that never rounds to an end it has not reached: core/percent-text, here for the CLI. */
export { percentNumber } from "../core/percent-text.ts";

/**
 * `part` of `whole` (both whole micro-dollars, ≥ 0) as a whole percent rounded DOWN, without its unit — as the
 * coordinator decides a budget's state (≥ 80 exactly when it warns, ≥ 100 exactly when reached) — except that a part
 * above 0 whose percent floors to 0 reads "<1": "$0.75 of $100.00 (0 %)" said nothing was spent. "0" for a whole of 0.
 */
export function flooredPercent(part: number, whole: number): string {
  if (whole <= 0) return "0";
  const pct = Math.floor((part * 100) / whole);
  return pct === 0 && part > 0 ? "<1" : String(pct);
}

/**
 * A span of `ms` milliseconds said exactly, in hours, minutes, seconds and ms, each part that is not 0: 86,400,000 →
 * "24h", 5,400,000 → "1h 30m", 90,500 → "1m 30s 500ms", 0 → "0ms". Rounded to the whole ms; "" for no number or a
 * negative one (a window an answer lacks). Not table `formatDuration`, which floors to one unit (an age, "3h ago"):
 * a window of 90 min read "2h" rounded and "1h" floored.
 */
export function exactDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  let rest = Math.round(ms);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.length ? parts.join(" ") : "0ms";
}
