/**
 * @module dashboard/format
 * How the dashboard writes times, durations, sizes and numbers (dom.js re-exports them): ages that move with the
 * clock, local date-times from formatters made once, "3 min 12 s", "1.5 KiB".
 */

/**
 * What a time past Date's range (±8.64e15 ms) or no number at all reads as: `new Date(at)` is then an Invalid Date,
 * which every formatter throws RangeError on — one such time in an answer took the whole list's draw down with it.
 */
export const NOT_A_DATE = "not a date";

/** Whether `at` (epoch ms) is a time a Date holds. @param {number} at */
const isDate = (at) => Number.isFinite(new Date(at).getTime());

/**
 * "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; NOT_A_DATE past Date's range or for no number, as `when`
 * in the title beside it says (it read "just now" for year 287,000, "NaN d ago" for a time that is no number).
 * @param {number | undefined} at epoch ms
 * @param {number} [now]
 */
export function ago(at, now = Date.now()) {
  if (at === undefined || at === null) return "never";
  if (typeof at !== "number" || !isDate(at)) return NOT_A_DATE;
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/**
 * Moves every age under `root` with the clock: each element with a `data-at` (epoch ms) reads `ago` of it at `now`.
 * A page that does not re-read its list on each poller tick (dead letters, lessons, enrollment codes) calls this on
 * the tick instead: its "3 min ago" said 3 min for as long as the page stayed open. No read, no redraw (focus stays).
 * @param {ParentNode} root @param {number} [now] epoch ms
 */
export function renderAges(root, now = Date.now()) {
  for (const el of root.querySelectorAll("[data-at]")) el.textContent = ago(Number(el.getAttribute("data-at")), now);
}

/**
 * The two formats, made once: `toLocaleString` builds a new formatter per call (~0.4 ms in Chromium), and a page draws
 * thousands of times at once — 5,000 log lines took 2 s to build, most of it here.
 */
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
/** What `toLocaleTimeString(undefined, { hour12: false })` formats with (its default fields for a time). */
const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
  hour12: false,
});

/** Local date-time, to the second; NOT_A_DATE past Date's range. @param {number | undefined} at */
export function when(at) {
  if (at === undefined || at === null) return "—";
  return isDate(at) ? WHEN.format(new Date(at)) : NOT_A_DATE;
}

/**
 * A budget period's boundary (epoch ms) in UTC, to the minute: "2026-12-06T00:00Z". Not local, as every other time on
 * the page is (`when`): a period starts at a UTC midnight (src/core/budget.ts periodStartOf), which the form's "Period
 * (UTC)" and the CLI's `budget` say too; in local time a day read from 01:00 to 01:00 the next day in Paris — a
 * boundary no setting names, which moves with the viewer. Boundaries fall on whole minutes.
 * @param {number} at
 */
export function utcBoundary(at) {
  return isDate(at) ? `${new Date(at).toISOString().slice(0, 16)}Z` : NOT_A_DATE;
}

/** Local time of day, to the second; NOT_A_DATE past Date's range. @param {number} at */
export function clock(at) {
  return isDate(at) ? CLOCK.format(new Date(at)) : NOT_A_DATE;
}

/** @param {number | undefined} ms */
export function duration(ms) {
  if (ms === undefined || ms === null || ms < 0) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * A time still to run (an open breaker's window) as `duration` says it, from whole seconds rounded UP: 400 ms left is
 * "1 s", 59.5 s "1 min 0 s" — rounded to the nearest it said "0 s left" of a breaker still open. None or less is "0 s"
 * (as the CLI's formatLeft).
 * @param {number} ms time left, ms
 * @returns {string} "12 s", "3 min 5 s", "2 h 4 min"
 */
export function timeLeft(ms) {
  return duration(Math.max(0, Math.ceil(ms / 1000) * 1000));
}

/** @param {number} n */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Numbers in the explain panel: up to 3 decimals, no trailing zeros. @param {number} x */
export function num(x) {
  return Number.isFinite(x) ? String(Math.round(x * 1000) / 1000) : String(x);
}

/**
 * "1 failure", "2 failures", "12,000 jobs": a count with its noun, singular for one (as the CLI's core/counted, which
 * a page cannot import: "1 open alert(s)" read as a form nobody finished), grouped by thousands whatever the locale as
 * the CLI groups a count (core/unpriced groupedCount) — "12000 jobs" read as a code, and not as the CLI's "12,000".
 * @param {number} n a count (a whole number; any other is written as it is)
 * @param {string} noun
 * @param {string} [plural] default `${noun}s`
 */
export function counted(n, noun, plural = `${noun}s`) {
  return `${grouped(n)} ${n === 1 ? noun : plural}`;
}

/**
 * A count grouped by thousands whatever the locale, as core/unpriced groupedCount: 12000 → "12,000".
 * @param {number} n a whole number (any other is written as it is) @returns {string}
 */
export const grouped = (n) => (Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(n));

/**
 * A share as a whole percent that never says more or less than is true at its ends: 199 of 200 is 99, not 100 (a
 * fleet that looked full was not), 1 of 1,000 is 1, not 0 (a seat in use looked idle); only exactly 0 and 1 are 0 and
 * 100. Otherwise rounded to the nearest.
 * @param {number} x the share, in [0, 1] (clamped)
 * @returns {number} a whole number in [0, 100]
 */
export function wholePercent(x) {
  if (!(x > 0)) return 0;
  if (x >= 1) return 100;
  return Math.min(99, Math.max(1, Math.round(x * 100)));
}

/**
 * When a wait ends, said in whole seconds rounded up: "in 1 s" for 400 ms (rounded it said "in 0 s"), "now" for none.
 * @param {number} ms the wait, ms
 * @returns {string} "now" or "in N s"
 */
export function inSeconds(ms) {
  return ms > 0 ? `in ${Math.ceil(ms / 1000)} s` : "now";
}
