// No fast-check property in test/** is bounded by wall-clock time: `interruptAfterTimeLimit` and
// `skipAllAfterTimeLimit` stop the whole run — its runs, not only the shrink — once that much time has passed, so on
// a loaded CI box a property either fails although every run it made passed (`markInterruptAsFailure`) or passes
// having tried fewer cases than it says; `fc.timeout` fails a run that was only slow. history-follow's property
// (15 runs through the real queue consumer) had a 30 s limit "for the shrink" that covered its 15 runs as well.
// A property is bounded by its numRuns; a long shrink by `endOnFailure` (the first counterexample, as found).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
/** This file names the options it forbids. */
const SELF = path.posix.join("test", "unit", "property-time-bounds.test.ts");
/** fast-check's options and arbitraries that end a property, or one of its runs, by the clock. */
const TIMED = /\binterruptAfterTimeLimit\b|\bskipAllAfterTimeLimit\b|\bfc\.timeout\(/;

/** Every .ts and .js file under test/, as repo-relative paths. */
function testFiles(dir = "test"): string[] {
  return readdirSync(path.join(ROOT, dir))
    .sort()
    .flatMap((name) => {
      const rel = path.posix.join(dir, name);
      if (statSync(path.join(ROOT, rel)).isDirectory()) return testFiles(rel);
      return /\.(ts|js|mjs)$/.test(name) ? [rel] : [];
    });
}

describe("property time bounds", () => {
  it("no fast-check property in test/** is ended by the clock", () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(100); // the walk found the tree
    const timed = files
      .filter((f) => f !== SELF)
      .flatMap((f) =>
        readFileSync(path.join(ROOT, f), "utf8")
          .split("\n")
          .flatMap((line, i) => (TIMED.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(timed).toEqual([]);
  });
});
