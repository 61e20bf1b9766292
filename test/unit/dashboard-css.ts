// The dashboard's own stylesheets as the page applies them: index.html links style.css and the style-*.css that
// follow it (each ≤ 250 lines) in cascade order; a test of a rule reads them as one text, in that order, as the
// browser does (not vendor/'s uPlot sheet).
import { readFileSync } from "node:fs";
import path from "node:path";

const DIR = path.resolve(import.meta.dirname, "../../dashboard");

/** The hrefs of the dashboard's own stylesheets, in the order index.html links them. */
export function dashboardSheets(): string[] {
  const html = readFileSync(path.join(DIR, "index.html"), "utf8");
  return [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)]
    .map((m) => m[1]!)
    .filter((f) => !f.startsWith("vendor/"));
}

/**
 * Every own stylesheet of the dashboard, concatenated in cascade order, comments removed: a rule's selector list is
 * read from the last `}` to its `{`, and a comment above it (as biome's ordering notes are) became part of its first
 * selector — `.dag-outline a` moved first in its list read as "/* … *\/ .dag-outline a" (pass 34).
 */
export function dashboardCss(): string {
  return dashboardSheets()
    .map((f) => readFileSync(path.join(DIR, f), "utf8"))
    .join("\n")
    .replace(/\/\*[\s\S]*?\*\//g, "");
}
