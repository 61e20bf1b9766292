/**
 * @module cli/table
 * Plain-text rendering for humans: aligned tables with per-column truncation,
 * relative ages, clock times and durations. Pure functions of their inputs
 * (`now` is passed in), so the output is testable byte for byte. Widths count
 * code points, which is right for the ids, stages and ASCII-ish titles shown.
 */

export interface Column {
  header: string;
  /** Longest cell shown; longer ones end in "…". */
  max?: number;
  align?: "left" | "right";
}

const ELLIPSIS = "…";
/** Two spaces between columns: the `kubectl get` / `docker ps` look operators already read fluently. */
const GAP = "  ";
/** Shown for an absent value, so a column never collapses into its neighbour. */
export const NONE = "—";

const width = (s: string): number => [...s].length;

/** `s` cut to at most `max` code points, the last one replaced by "…" when anything was cut. */
export function truncate(s: string, max: number): string {
  const chars = [...s.replace(/\s+/g, " ")];
  if (chars.length <= max) return chars.join("");
  if (max <= 0) return "";
  return `${chars.slice(0, max - 1).join("")}${ELLIPSIS}`;
}

function pad(s: string, w: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, w - width(s)));
  return align === "right" ? fill + s : s + fill;
}

/** Header row plus one row per entry; a left-aligned last column is not padded, so lines carry no trailing spaces. */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const cells = rows.map((row) => columns.map((c, i) => truncate(row[i] ?? "", c.max ?? Number.MAX_SAFE_INTEGER)));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => {
        const align = columns[i]!.align ?? "left";
        return i === r.length - 1 && align === "left" ? cell : pad(cell, widths[i]!, align);
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n");
}

/**
 * `columns` with the last one's `max` lowered so that no line is wider than `total` code points (a terminal's
 * width), but never below `floor`: a reason cut to nothing helps nobody, a wrapped line still reads.
 */
export function fitLastColumn(
  columns: readonly Column[],
  rows: ReadonlyArray<readonly string[]>,
  total: number,
  floor = 20,
): Column[] {
  const head = columns.slice(0, -1).map((c, i) => {
    const cells = rows.map((r) => Math.min(width((r[i] ?? "").replace(/\s+/g, " ")), c.max ?? Number.MAX_SAFE_INTEGER));
    return Math.max(width(c.header), ...cells);
  });
  const used = head.reduce((a, b) => a + b, 0) + GAP.length * head.length;
  const last = columns[columns.length - 1]!;
  const max = Math.max(floor, Math.min(last.max ?? Number.MAX_SAFE_INTEGER, total - used));
  return [...columns.slice(0, -1), { ...last, max }];
}

/** Label/value lines with the labels aligned, for detail views. */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const w = Math.max(...fields.map(([k]) => width(k)));
  return fields.map(([k, v]) => `  ${pad(k, w, "left")}  ${v}`).join("\n");
}

/** A duration as its largest unit: 45s, 12m, 3h, 9d (negative clamps to 0s — clocks differ a little). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** How long ago `at` was, or "—" for never. */
export function formatAge(at: number | undefined | null, now: number): string {
  return at === undefined || at === null ? NONE : formatDuration(now - at);
}

/** HH:MM:SS in the terminal's local time zone: an event feed is read against the wall clock. */
export function formatClock(at: number): string {
  if (!Number.isFinite(at)) return "--:--:--";
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** A full instant, UTC, second precision: unambiguous in logs and pasted into tickets. */
export function formatInstant(at: number | undefined | null): string {
  return at === undefined || at === null ? NONE : `${new Date(at).toISOString().slice(0, 19)}Z`;
}

export function orNone(v: string | number | undefined | null): string {
  return v === undefined || v === null || v === "" ? NONE : String(v);
}

export function list(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? items.join(",") : NONE;
}
