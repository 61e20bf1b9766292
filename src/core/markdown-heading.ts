/**
 * @module core/markdown-heading
 * The title a manifest without `title:` falls back to: its body's first level-1 ATX heading (`# Title`) outside code
 * fences. Read by scanning each line from both ends in linear time — the regex it replaces,
 * `/^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*\r?$/`, backtracked quadratically on `"# a" + " ".repeat(250000) + "x"`
 * (minutes of CPU for one 250 KB request).
 */

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t";

/**
 * The text of a level-1 ATX heading (`# Title`, optionally closed by ` ##`, then blanks and a `\r`), or undefined
 * when `line` is not one. Linear: each character is looked at a bounded number of times.
 */
export function atxHeading(line: string): string | undefined {
  if (line[0] !== "#" || !isBlank(line[1])) return undefined;
  let start = 1;
  while (isBlank(line[start])) start++;
  let end = line.endsWith("\r") ? line.length - 1 : line.length;
  if (/[\r\u2028\u2029]/.test(line.slice(start, end))) return undefined; // not one line of text
  while (end > start && isBlank(line[end - 1])) end--;
  let hashes = end;
  while (hashes > start && line[hashes - 1] === "#") hashes--;
  if (hashes < end && hashes > start && isBlank(line[hashes - 1])) {
    end = hashes; // a closing sequence: drop it and the blanks before it
    while (end > start && isBlank(line[end - 1])) end--;
  }
  return end > start ? line.slice(start, end) : undefined;
}

/**
 * The first level-1 heading in `lines` from index `from` on, skipping fenced code blocks (a `# comment` in a bash
 * block is not a title). `line` is 1-based; undefined when there is none.
 */
export function firstHeading(lines: readonly string[], from: number): { text: string; line: number } | undefined {
  let inFence = false;
  for (let k = from; k < lines.length; k++) {
    const line = lines[k]!;
    if (isFence(line)) inFence = !inFence;
    const text = inFence ? undefined : atxHeading(line);
    if (text !== undefined) return { text, line: k + 1 };
  }
  return undefined;
}

/** A fence opener or closer: optional indentation, then ``` or ~~~ (what the old `/^\s*(```|~~~)/` meant). */
function isFence(line: string): boolean {
  let i = 0;
  while (i < line.length && /\s/.test(line[i]!)) i++;
  return line.startsWith("```", i) || line.startsWith("~~~", i);
}
