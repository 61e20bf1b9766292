// `submit`'s progress on stderr (cli/progress) keeps to one line per item: on a terminal the redrawn bar line is cut to
// the terminal's width (80 columns when not told), since `\r` only returns to the start of the row the cursor is on
// and a wrapped bar left one stale row on screen per file; in a pipe each item is one line, a label's newline folded
// (a job id holding `\n✔ [3/3] …` forged a line) and its control characters shown as pictures.
import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/cli/progress.ts";
import { width } from "../../src/cli/table.ts";

/** The start of each redraw: back to the row's start, clear it. */
const REDRAW = "\r\x1b[K";
/** What a redrawn write shows: the text after its REDRAW. */
const shown = (t: string): string => (t.startsWith(REDRAW) ? t.slice(REDRAW.length) : t);

describe("the bar on a terminal", () => {
  it("fits every redraw in the terminal's width, cutting the label", () => {
    const writes: string[] = [];
    const bar = createProgress((t) => writes.push(t), 3, true, 60);
    bar.tick(`manifests/${"very-long-directory-name/".repeat(4)}job.md → job_1`, true);
    bar.tick(`${"文件".repeat(40)}.md`, false);
    bar.tick("short.md → job_3", true);
    for (const w of writes) {
      expect(w.startsWith(REDRAW)).toBe(true);
      expect(width(shown(w))).toBeLessThanOrEqual(59);
    }
    expect(shown(writes[0]!)).toMatch(/…$/);
    expect(shown(writes[2]!)).toMatch(/ {2}short\.md → job_3$/);
  });

  it("fits 79 columns when the width is not given", () => {
    const writes: string[] = [];
    createProgress((t) => writes.push(t), 1, true).tick("x".repeat(200), true);
    expect(width(shown(writes[0]!))).toBe(79);
  });

  it("keeps a label with a newline or an escape on the bar's one line", () => {
    const writes: string[] = [];
    createProgress((t) => writes.push(t), 1, true).tick("a.md → job\n✔ forged\u001b[2J", true);
    expect(writes[0]).not.toMatch(/\n/);
    expect(shown(writes[0]!)).toMatch(/a\.md → job ✔ forged␛\[2J$/);
  });
});

describe("one line per item elsewhere", () => {
  it("folds a label's newlines and shows its control characters", () => {
    const writes: string[] = [];
    const lines = createProgress((t) => writes.push(t), 2, false);
    lines.tick("a.md → job_1\n✔ [2/2] forged.md → job_9", true);
    lines.tick("b.md\u001b]52;c;eA==\u0007 (failed)", false);
    expect(writes).toEqual(["✔ [1/2] a.md → job_1 ✔ [2/2] forged.md → job_9\n", "✘ [2/2] b.md␛]52;c;eA==␇ (failed)\n"]);
  });
});
