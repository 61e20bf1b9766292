/**
 * @module agent/retry-after
 * How long a throttled provider says to wait, read from its own wording, in whole seconds within the protocol's bounds.
 * A relative wait ("try again in 3 days 6 hours", "retry after 20s") needs no clock; an absolute one does, and is read
 * against `now` (ms since the epoch), a parameter — this module never reads the clock itself:
 *
 * - Codex's usage limit, `Try again at 3:28 PM.` on the day it resets, `Try again at Dec 5th, 2026 3:28 PM.` on a
 *   later one (codex-rs core/error `format_retry_timestamp`: the host's local time). Seconds, a 24-hour clock, an ISO
 *   date and a month name with or without a year or an ordinal suffix are read too.
 * - Claude Code's plan limit: `Claude AI usage limit reached|1753088400` (epoch s), and `… resets 3pm` (local time).
 *
 * A wall-clock time with no date that is already past today is tomorrow's; a dated one already past, a time that is not
 * one (25:00, Feb 30th) or no clock at all is not read: the caller falls back to the breaker's base cool-down, as for
 * a wait the provider did not name.
 */

/** 86 400 s: the longest back-off the API accepts (shared/api RunResultBody), a day. */
export const MAX_RETRY_AFTER_S = 86_400;

/** A wait of `ms` from now in whole s, at least 1 (0 means "named none") and at most a day; undefined when past. */
function waitFor(ms: number): number | undefined {
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(Math.max(Math.ceil(ms / 1000), 1), MAX_RETRY_AFTER_S);
}

/** Durations one after the other ("2 hours, 5 minutes and 10s", "1m30s"), from the start of the text. */
const DURATIONS = /^\s*(?:\d+(?:\.\d+)?\s*(?:ms|d|h|m|s)[a-z]*(?:\s*,?\s*(?:and\s+)?)?)+/i;

/** "try again in 20s" / "in 2 hours 5 minutes" / "retry after 30 seconds" → s; undefined when it names none. */
function relative(text: string): number | undefined {
  const at = /(?:try again|retry)\s+(?:after|in)\s/i.exec(text);
  if (!at) return undefined;
  // The duration follows the phrase: "2 hours 5 minutes", "1m30s", "20s". 60 chars holds any of them. Only the run of
  // durations right after it: "in 20s. (request id: req_3d9f)" read the id's "3d" as 3 more days.
  const span = DURATIONS.exec(text.slice(at.index + at[0].length, at.index + at[0].length + 60))?.[0] ?? "";
  let s = 0;
  let seen = false;
  for (const [, n, unit] of span.matchAll(/(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)[a-z]*/gi)) {
    const k = (unit as string).toLowerCase();
    s += Number(n) * (k === "d" ? 86_400 : k === "h" ? 3600 : k === "m" ? 60 : k === "ms" ? 0.001 : 1);
    seen = true;
  }
  return seen ? Math.min(Math.ceil(s), MAX_RETRY_AFTER_S) : undefined;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
/** "Dec 5th, 2026 " / "December 5 " / "2026-12-05 " (ISO, optionally with a T): the date part, when there is one. */
const DATE = String.raw`(?:([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?,?|(\d{4})-(\d{2})-(\d{2}))[\sT]+`;
/** "3:28 PM" / "3:28:15 pm" / "15:28" / "3pm" / "3 p.m.": a time needs minutes or an AM/PM, a bare "3" is not one. */
const TIME = String.raw`(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?m\b\.?)?`;
/** An ISO time that names its zone ("2026-12-05T15:28:00Z", "…+01:00"): the zone it names, not the host's. */
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})\b/i;
const ABSOLUTE = /(?:try again|retry)\s+at\s+|\bresets?\s+(?:at\s+)?/i;
const WALL = new RegExp(`^(?:${DATE})?${TIME}`, "i");

/** A Y-M-D h:m:s on the host's clock → ms, or NaN when it is no such time (month 13, Feb 30th, 25:00). */
function localTime(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const t = new Date(y, mo, d, h, mi, s);
  const real = t.getFullYear() === y && t.getMonth() === mo && t.getDate() === d;
  return real && h < 24 && mi < 60 && s < 60 ? t.getTime() : Number.NaN;
}

/** "try again at …" / "resets …" → s from `now` to that wall-clock time; undefined when it names none. */
function wallClock(text: string, now: number): number | undefined {
  const at = ABSOLUTE.exec(text);
  if (!at) return undefined;
  const span = text.slice(at.index + at[0].length, at.index + at[0].length + 60);
  const zoned = ZONED.exec(span);
  if (zoned) return waitFor(Date.parse(zoned[0]) - now);
  const m = WALL.exec(span);
  if (!m) return undefined;
  const [, monthName, dayText, yearText, isoY, isoM, isoD, hText, miText, sText, half] = m;
  if (miText === undefined && half === undefined) return undefined;
  let h = Number(hText);
  if (half !== undefined) {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (half.toLowerCase() === "p" ? 12 : 0);
  }
  const [mi, s] = [Number(miText ?? 0), Number(sText ?? 0)];
  const today = new Date(now);
  if (isoY !== undefined) return waitFor(localTime(+isoY, +(isoM as string) - 1, +(isoD as string), h, mi, s) - now);
  if (monthName !== undefined) {
    const mo = MONTHS.indexOf(monthName.toLowerCase());
    if (mo < 0) return undefined;
    const at = (y: number) => localTime(y, mo, Number(dayText), h, mi, s);
    if (yearText !== undefined) return waitFor(at(Number(yearText)) - now);
    // No year: the one that puts it nearest now (a "Jan 1st" read on Dec 31st is next year's).
    const y = today.getFullYear();
    const nearest = [y - 1, y, y + 1].map(at).sort((a, b) => Math.abs(a - now) - Math.abs(b - now))[0] as number;
    return waitFor(nearest - now);
  }
  const [y, mo, d] = [today.getFullYear(), today.getMonth(), today.getDate()];
  const t = localTime(y, mo, d, h, mi, s);
  if (Number.isNaN(t)) return undefined;
  // Already past today: tomorrow's, built from the date (not + 24 h) so a DST change in between moves it too.
  return waitFor(t > now ? t - now : new Date(y, mo, d + 1, h, mi, s).getTime() - now);
}

/** Claude Code's "usage limit reached|1753088400": the reset as epoch s (13 digits: ms) → s from `now`. */
function epochReset(text: string, now: number): number | undefined {
  const m = /limit reached\s*\|\s*(\d{9,13})\b/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return waitFor((n >= 1e12 ? n : n * 1000) - now);
}

/**
 * The wait `text` names, in s (an integer, 1 … 86 400 when it names one; a relative one may say 0); undefined when it
 * names none that can be read. `now` (ms since the epoch) is needed for an absolute time; without it only a relative
 * wait is read.
 */
export function retryAfterText(text: string, now?: number): number | undefined {
  const rel = relative(text);
  if (rel !== undefined || now === undefined || !Number.isFinite(now)) return rel;
  return epochReset(text, now) ?? wallClock(text, now);
}
