// No source file under src/ or dashboard/ (its scripts, page and stylesheets; not vendor/) is over 250 lines, the house limit
// (STYLE.md "small files, honest names"): a file past it is split along a real seam, named for what each part does
// (core/model's waiting-reason vocabulary went to core/waiting-reason when model.ts reached 251; the dashboard's
// settings fields went to settings-fields.js at 261). Counted as `wc -l` counts: newline characters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../../scripts/source-map.ts";

/** The house limit on a source file's length, in lines. */
const MAX_LINES = 250;

/** The files of `files` over MAX_LINES, with their line counts. @param {string[]} files */
const tooLong = (files: string[]) =>
  files
    .map((f) => ({
      f,
      lines: (readFileSync(new URL(`../../${f}`, import.meta.url), "utf8").match(/\n/g) ?? []).length,
    }))
    .filter((x) => x.lines > MAX_LINES);

describe("source file size", () => {
  it(`no file under src/ is over ${MAX_LINES} lines`, () => {
    const files = sourceFiles().filter((f) => f.startsWith("src/"));
    expect(files.length).toBeGreaterThan(100); // the walk found the tree
    expect(tooLong(files)).toEqual([]);
  });

  it(`no script, page or stylesheet of the dashboard is over ${MAX_LINES} lines`, () => {
    // sourceFiles skips dashboard/vendor (third-party builds, copied in as they are).
    const files = sourceFiles().filter((f) => f.startsWith("dashboard/") && /\.(js|html|css)$/.test(f));
    expect(files.length).toBeGreaterThan(50); // the walk found the dashboard
    expect(tooLong(files)).toEqual([]);
  });
});
