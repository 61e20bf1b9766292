// The README's source map lists every source file (and no file that no longer exists), and its test map
// every test file with the claim it opens with.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sourceFiles, testClaim, testFiles } from "../../scripts/source-map.ts";

describe("README source map", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  it("names every source file", () => {
    const missing = sourceFiles().filter((f) => !readme.includes(`\`${f}\``));
    expect(missing, "run `npm run source-map` and paste the missing rows").toEqual([]);
  });
  it("names no file that does not exist", () => {
    const listed = [...readme.matchAll(/^\| `((?:src|scripts|bench|bin|dashboard|examples)\/[^`]+)` \|/gm)].map(
      (m) => m[1],
    );
    const existing = new Set(sourceFiles());
    expect(listed.filter((f) => !existing.has(f!))).toEqual([]);
  });
  it("names every test file, each opening with what it proves", () => {
    const missing = testFiles().filter((f) => !readme.includes(`| \`${f}\` |`));
    expect(missing, "run `npm run source-map -- --tests` and paste the missing rows").toEqual([]);
    expect(testFiles().filter((f) => testClaim(f).length < 20)).toEqual([]);
  });
});
