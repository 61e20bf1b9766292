/**
 * @module cli/table
 * Plain-text rendering for humans: aligned tables with per-column truncation (a message column wrapped instead),
 * relative ages, clock times and durations. Pure functions of their inputs (`now` is passed in), so the output is
 * testable byte for byte. Widths are terminal columns, counted per grapheme (cli/text-width).
 */

import { oneLine, truncate, width, wrapLines } from "./text-width.ts";

// Importers take the text measures from here, as before cli/text-width held them.
export { oneLine, truncate, width, wrapLines } from "./text-width.ts";

export interface Column {
  header: string;
  /** Widest cell shown, in terminal columns; wider ones end in "…" (but see `wrap`). */
  max?: number;
  align?: "left" | "right";
  /**
   * The last column only: never cut (renderTable says where it goes instead), `max` then being the widest a line of
   * it is on a terminal. A message's "how to fix" half (an alert's "check the receiver at HOST, then redrive") sits
   * past any cut: it was seen only with --json.
   */
  wrap?: boolean;
}

/** Two spaces between columns: the `kubectl get` / `docker ps` look operators already read fluently. */
const GAP = "  ";
/** Shown for an absent value, so a column never collapses into its neighbour. */
export const NONE = "—";

function pad(s: string, w: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, w - width(s)));
  return align === "right" ? fill + s : s + fill;
}

/**
 * The largest of `first` and every `f(row)`, by a loop: `Math.max(...rows.map(f))` passes one argument per row, and
 * past about 125,000 (`jobs --all` of a busy product) V8 throws RangeError "Maximum call stack size exceeded" — a
 * `✘ ERROR internal … CLI bug` instead of the table.
 */
function widest<R>(first: number, rows: readonly R[], f: (row: R) => number): number {
  let max = first;
  for (const r of rows) max = Math.max(max, f(r));
  return max;
}

/**
 * Header row plus one row per entry; a left-aligned last column is not padded, so lines carry no trailing spaces.
 * A `wrap` last column is never cut (see Column): on a terminal `terminal` columns wide (Io.stdoutColumns) its text
 * goes on under the row past what the width leaves (fitLastColumn; at most its `max`, at least 20); off one (a pipe,
 * a file, a CI log) it is whole on its row's line, so `grep` finds a row by any word of its message and `awk` reads
 * one row a line.
 */
export function renderTable(
  columns: readonly Column[],
  rows: ReadonlyArray<readonly string[]>,
  terminal?: number,
): string {
  const last = columns.length - 1;
  const wraps = columns[last]?.wrap === true && (columns[last]?.align ?? "left") === "left";
  const wrapAt = wraps && terminal ? fitLastColumn(columns, rows, terminal)[last]?.max : undefined;
  const cellOf = (row: readonly string[], i: number): string =>
    wraps && i === last ? oneLine(row[i] ?? "") : truncate(row[i] ?? "", columns[i]?.max ?? Number.MAX_SAFE_INTEGER);
  const cells = rows.map((row) => columns.map((_, i) => cellOf(row, i)));
  const under = cells.map((r) => (wrapAt === undefined ? [] : wrapLines(r[last] ?? "", wrapAt)));
  under.forEach((lines, n) => {
    if (lines.length > 0) (cells[n] as string[])[last] = lines[0] ?? "";
  });
  const widths = columns.map((c, i) => widest(width(c.header), cells, (r) => width(r[i]!)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => {
        const align = columns[i]!.align ?? "left";
        return i === r.length - 1 && align === "left" ? cell : pad(cell, widths[i]!, align);
      })
      .join(GAP)
      .trimEnd();
  const indent = " ".repeat(widths.slice(0, last).reduce((a, w) => a + w + GAP.length, 0));
  const rowLines = (r: readonly string[], n: number): string[] => [
    line(r),
    ...(under[n] ?? []).slice(1).map((l) => indent + l),
  ];
  return [line(columns.map((c) => c.header)), ...cells.flatMap(rowLines)].join("\n");
}

/**
 * `columns` with the last one's `max` lowered so that no line is wider than `total` columns (a terminal's
 * width), but never below `floor`: a reason cut to nothing helps nobody, a wrapped line still reads.
 */
export function fitLastColumn(
  columns: readonly Column[],
  rows: ReadonlyArray<readonly string[]>,
  total: number,
  floor = 20,
): Column[] {
  const head = columns
    .slice(0, -1)
    .map((c, i) =>
      widest(width(c.header), rows, (r) => Math.min(width(oneLine(r[i] ?? "")), c.max ?? Number.MAX_SAFE_INTEGER)),
    );
  const used = head.reduce((a, b) => a + b, 0) + GAP.length * head.length;
  const last = columns[columns.length - 1]!;
  const max = Math.max(floor, Math.min(last.max ?? Number.MAX_SAFE_INTEGER, total - used));
  return [...columns.slice(0, -1), { ...last, max }];
}

/** Label/value lines with the labels aligned, for detail views; each value on its line (`oneLine`). */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const w = Math.max(...fields.map(([k]) => width(k)));
  return fields.map(([k, v]) => `  ${pad(k, w, "left")}  ${oneLine(v)}`).join("\n");
}

/**
 * A duration as its largest unit: 45s, 12m, 3h, 9d (negative clamps to 0s — clocks differ a little); "—" for one
 * that is no number (an instant missing from a server's answer made it "NaNd").
 */
export function formatDuration(ms: number): string {
  if (Number.isNaN(ms)) return NONE;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * A time still to run (a lease, a breaker's open window) as `formatSpan` says it, from whole seconds rounded UP: 0.4 s
 * left is "1s", 59.5 s "1m" — a floor said "0s left" of an open breaker. 0 or less is "0s".
 */
export function formatLeft(ms: number): string {
  return formatSpan(Math.ceil(ms / 1000) * 1000);
}

/**
 * How long something ran, in its two largest units, floored: "1h 59m", "2m 5s", "45s" — one unit read a run of
 * 1 h 59 min as "1h". "—" for no (finite) number.
 */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms)) return NONE;
  const s = Math.max(0, Math.floor(ms / 1000));
  const units = [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const;
  const i = units.findIndex(([, size]) => s >= size);
  if (i === -1 || i === units.length - 1) return `${s}s`;
  const [u1, n1] = units[i]!;
  const [u2, n2] = units[i + 1]!;
  const rest = Math.floor((s % n1) / n2);
  return rest > 0 ? `${Math.floor(s / n1)}${u1} ${rest}${u2}` : `${Math.floor(s / n1)}${u1}`;
}

/** How long ago `at` was, or "—" for never. */
export function formatAge(at: number | undefined | null, now: number): string {
  return at === undefined || at === null ? NONE : formatDuration(now - at);
}

/**
 * Whether `at` is an instant a Date holds (±8.64e15 ms): a server's number past it made `toISOString` throw
 * RangeError (`✘ ERROR internal: Invalid time value / this is a CLI bug`) and `getHours` print "NaN:NaN:NaN".
 */
const isInstant = (at: number): boolean => Number.isFinite(at) && !Number.isNaN(new Date(at).getTime());

/** HH:MM:SS in the terminal's local time zone: an event feed is read against the wall clock. */
export function formatClock(at: number): string {
  if (!isInstant(at)) return "--:--:--";
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** A full instant, UTC, second precision: unambiguous in logs and pasted into tickets; a number no Date holds as such. */
export function formatInstant(at: number | undefined | null): string {
  if (at === undefined || at === null) return NONE;
  return isInstant(at) ? `${new Date(at).toISOString().slice(0, 19)}Z` : `not a time (${at})`;
}

/**
 * Whether a field named `key` holds an instant (ms epoch), by the coordinator's naming for times: `until`, `…At`
 * (`retryAt`), `…Until` (`keptUntil`, `openUntil`), `…Before` (`notBefore`). One rule for `watch`'s `k=v` pairs and the
 * waiting detail: the detail's read `until` and `…At` only, and a retry's `keptUntil` printed as 1796300328706.
 */
export const isInstantKey = (key: string): boolean => /^(until|before)$|(At|Until|Before)$/.test(key);

export function orNone(v: string | number | undefined | null): string {
  return v === undefined || v === null || v === "" ? NONE : String(v);
}

export function list(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? items.join(",") : NONE;
}
