/**
 * @module core/cron
 * Whether a five-field cron expression (minute hour day-of-month month
 * day-of-week, UTC, as Cloudflare's cron triggers read it) fires at a given
 * minute — so the local runtime fires `[triggers] crons` when production would.
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, and lists.
 */

const FIELDS = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12 }, // month
  { min: 0, max: 7 }, // day of week, 0 and 7 both Sunday
] as const;

/** The set of values one field allows; throws on anything it cannot read. */
function values(field: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(",")) {
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
  const [minute, hour, dom, month, dow] = parts.map((p, i) => values(p, FIELDS[i]!.min, FIELDS[i]!.max)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (dow.has(7)) dow.add(0);
  // As in Vixie cron: when both day fields are restricted, either one matching is enough.
  const domAny = parts[2] === "*";
  const dowAny = parts[4] === "*";
  return (at) => {
    if (!minute.has(at.getUTCMinutes()) || !hour.has(at.getUTCHours()) || !month.has(at.getUTCMonth() + 1))
      return false;
    const d = dom.has(at.getUTCDate());
    const w = dow.has(at.getUTCDay());
    return domAny || dowAny ? d && w : d || w;
  };
}
