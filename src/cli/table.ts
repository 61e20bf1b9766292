/**
 * @module cli/table
 * Plain-text rendering for humans: aligned tables with per-column truncation,
 * relative ages, clock times and durations. Pure functions of their inputs
 * (`now` is passed in), so the output is testable byte for byte. Widths are
 * terminal columns, counted per grapheme: a title from a tracker in Chinese or
 * with an emoji takes two columns a character (code points misaligned every
 * column after it), a combining accent none, and a cut never splits a cluster.
 */

export interface Column {
  header: string;
  /** Widest cell shown, in terminal columns; wider ones end in "…". */
  max?: number;
  align?: "left" | "right";
}

const ELLIPSIS = "…";
/** Two spaces between columns: the `kubectl get` / `docker ps` look operators already read fluently. */
const GAP = "  ";
/** Shown for an absent value, so a column never collapses into its neighbour. */
export const NONE = "—";

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });
/**
 * A cluster a terminal shows two columns wide: East Asian Wide and Fullwidth (UAX #11: Hangul Jamo, CJK, kana,
 * Hangul syllables, fullwidth forms, the supplementary ideographic planes) and emoji shown as emoji.
 */
const WIDE =
  /^(?:[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6]|[\u{1B000}-\u{1B2FF}\u{1F200}-\u{1F2FF}\u{20000}-\u{3FFFD}]|\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)/u;
/** Marks and format characters on their own (a combining accent, a zero-width joiner): no column. */
const ZERO = /^[\p{M}\p{Cf}]*$/u;
/**
 * Format characters that take a column all the same: the soft hyphen, which terminals draw (wcwidth 1), and the bidi
 * controls, which every human line shows as U+FFFD (core/terminal-text). Counted as none, a title holding one pushed
 * every column after it one to the right.
 */
const SHOWN = /^[\u00ad\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]$/;

const clusterWidth = (g: string): number => (SHOWN.test(g) ? 1 : ZERO.test(g) ? 0 : WIDE.test(g) ? 2 : 1);

/**
 * One column each, one code unit each: printable ASCII, Latin-1 (the soft hyphen too, see SHOWN) and Latin Extended,
 * the General Punctuation dashes, quotes and ellipsis ("—" and "…", which every table shows), and the
 * control pictures terminalText prints. Counted by their length: segmenting each cell (~10 µs) made the table of a
 * 200,000-job `jobs --all` take 15 s of CPU, most of it on "—".
 */
const NARROW = /^[\x20-\x7e\u00a0-\u02ff\u2010-\u2027\u2030-\u205e\u2400-\u2426]*$/;

/** Terminal columns `s` takes (printable ASCII, the usual case, is its length). */
export function width(s: string): number {
  if (NARROW.test(s)) return s.length;
  let n = 0;
  for (const { segment } of graphemes.segment(s)) n += clusterWidth(segment);
  return n;
}

/**
 * `s` on one line: each run of whitespace holding a line break (or not) as one space. A value from elsewhere — a
 * job's title, a factory's result message, a progress note — is shown where one line is expected; its newline
 * started a line of its own, so a title `evil\n  stage        shipped` printed a forged "stage shipped" field in
 * `gigafactory job ID` above the real one.
 */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, " ");
}

/** `s` cut to at most `max` columns, never inside a grapheme, ending in "…" when anything was cut. */
export function truncate(s: string, max: number): string {
  const text = oneLine(s);
  if (width(text) <= max) return text;
  if (max <= 0) return "";
  let out = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = clusterWidth(segment);
    if (used + w > max - 1) break;
    out += segment;
    used += w;
  }
  return `${out}${ELLIPSIS}`;
}

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

/** Header row plus one row per entry; a left-aligned last column is not padded, so lines carry no trailing spaces. */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const cells = rows.map((row) => columns.map((c, i) => truncate(row[i] ?? "", c.max ?? Number.MAX_SAFE_INTEGER)));
  const widths = columns.map((c, i) => widest(width(c.header), cells, (r) => width(r[i]!)));
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

export function orNone(v: string | number | undefined | null): string {
  return v === undefined || v === null || v === "" ? NONE : String(v);
}

export function list(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? items.join(",") : NONE;
}
