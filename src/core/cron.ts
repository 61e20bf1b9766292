/**
 * @module core/cron
 * Whether a five-field cron expression (minute hour day-of-month month
 * day-of-week, UTC, as Cloudflare's cron triggers read it) fires at a given
 * minute — so the local runtime fires `[triggers] crons` when production would.
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, and lists; months and weekdays also take
 * three-letter names, in any case (`JAN`, `mon-fri`).
 *
 * Weekdays are Cloudflare's (Quartz's) 1–7 from Sunday: `1` is Sunday, `2-6` Monday to Friday, `7` Saturday —
 * Cloudflare's documentation gives `0 17 * * 1` as "5PM on Sunday" and `10 7 * * 2-6` as "7:10AM on weekdays".
 * Read as Vixie cron's 0–7 from Sunday, a trigger ran locally a day after production (`2-6` Tuesday to Saturday),
 * and `MON`, the spelling that cannot be misread, was refused. `0` is refused rather than guessed at.
 * Cloudflare's `L`, `W` and `#` are refused too: this matcher cannot read them.
 */

const FIELDS = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { min: 1, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] }, // day of week, 1 is Sunday
] as const;

/** `field` with each three-letter name of `names` (the values from `min` on) read as its number; throws on others. */
function numbered(field: string, min: number, names: readonly string[] | undefined): string {
  return field.replace(/[a-z]+/gi, (word) => {
    const i = names?.indexOf(word.toUpperCase()) ?? -1;
    if (i < 0) throw new Error(`cannot read "${word}" in cron field "${field}"`);
    return String(min + i);
  });
}

/** The set of values one field allows; throws on anything it cannot read. */
function values(field: string, min: number, max: number, names?: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const part of numbered(field, min, names).split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cannot read cron field "${field}"`);
    const lo = m[1] === "*" ? min : Number(m[2]);
    const hi = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`cron field "${field}" is out of range`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** A matcher for `expr`; throws when the expression cannot be read. */
export function cronMatcher(expr: string): (at: Date) => boolean {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron "${expr}" needs five fields`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => {
    const f = FIELDS[i]!;
    return values(p, f.min, f.max, "names" in f ? f.names : undefined);
  }) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  // As in Vixie cron: when both day fields are restricted, either one matching is enough.
  const domAny = parts[2] === "*";
  const dowAny = parts[4] === "*";
  return (at) => {
    if (!minute.has(at.getUTCMinutes()) || !hour.has(at.getUTCHours()) || !month.has(at.getUTCMonth() + 1))
      return false;
    const d = dom.has(at.getUTCDate());
    const w = dow.has(at.getUTCDay() + 1); // getUTCDay: 0 is Sunday; the field: 1 is
    return domAny || dowAny ? d && w : d || w;
  };
}
