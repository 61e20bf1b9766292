/**
 * @module cli/text-width
 * How wide a text is on a terminal, and how it is cut or broken to fit: widths in terminal columns, counted per
 * grapheme — a title from a tracker in Chinese or with an emoji takes two columns a character (code points
 * misaligned every column after it), a combining accent none — and a cut or a break never splits a cluster.
 * cli/table lays its columns out with these.
 */

const ELLIPSIS = "…";
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

/**
 * `text` (one line) in lines of at most `max` columns, broken at spaces; a word wider than `max` is broken inside,
 * never inside a grapheme.
 */
export function wrapLines(text: string, max: number): string[] {
  if (width(text) <= max) return [text];
  const limit = Math.max(1, max);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const joined = line === "" ? word : `${line} ${word}`;
    if (width(joined) <= limit) {
      line = joined;
      continue;
    }
    if (line !== "") lines.push(line);
    line = "";
    for (const { segment } of graphemes.segment(word)) {
      if (line !== "" && width(line) + clusterWidth(segment) > limit) {
        lines.push(line);
        line = "";
      }
      line += segment;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
