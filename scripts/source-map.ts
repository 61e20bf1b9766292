/**
 * @module scripts/source-map
 * Prints the README's source map: one line per source file, taken from the
 * first sentence of its `@module` header — or, with `--tests`, its test map: one
 * line per test file, from the `//` lines that say what it proves; with `--write`,
 * rewrites both tables' rows in README.md instead. A unit test fails when the README misses a file.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MAPPED_DIRS = ["src", "scripts", "bench", "bin", "dashboard", "examples/engines"];

export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(ROOT, dir)).sort()) {
      const rel = path.join(dir, name);
      if (name === "vendor") continue; // third-party builds copied in as they are (scripts/vendor-dashboard.ts)
      if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|mjs|js|html|css)$/.test(name) && !name.endsWith(".d.ts")) out.push(rel);
    }
  };
  for (const d of MAPPED_DIRS) {
    try {
      walk(d);
    } catch {
      /* folder not there yet */
    }
  }
  return out;
}

/** The first sentence of `text`, cut to `max` characters. */
function firstSentence(text: string, max: number): string {
  const first = /^(.*?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  return first.length > max ? `${first.slice(0, max - 3)}…` : first;
}

/**
 * The comment a file opens with: its leading `//` lines (the dashboard's and bin's style), else its first block
 * comment. Not simply the first block comment anywhere: in a `//`-headed file that is some later JSDoc (`@type`…).
 */
function openingComment(text: string): string {
  const lines = text.replace(/^#!.*\n/, "").split("\n");
  if (!lines[0]?.startsWith("//")) return /\/\*\*?([\s\S]*?)\*\//.exec(text)?.[1] ?? "";
  const head: string[] = [];
  for (const l of lines) {
    if (!l.startsWith("//")) break;
    head.push(l.replace(/^\/\/\s?/, ""));
  }
  // "fleet.js — the fleet map: …": the file's own name is already the row's first cell.
  const prose = head.join("\n").replace(/^[\w.-]+\.m?js — /, "");
  return prose.charAt(0).toUpperCase() + prose.slice(1);
}

export function summary(file: string): string {
  const header = openingComment(readFileSync(path.join(ROOT, file), "utf8"));
  const prose = header
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => l && !l.startsWith("@module"))
    .join(" ");
  return firstSentence(prose, 160);
}

/** Every test file, layer by layer: the rows of the README's test map. */
export function testFiles(): string[] {
  return ["test/unit", "test/integration", "test/e2e"].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir))
      .filter((n) => n.endsWith(".test.ts"))
      .sort()
      .map((n) => path.join(dir, n)),
  );
}

/** What a test file proves: the first sentence of the `//` lines it opens with. */
export function testClaim(file: string): string {
  const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
  const prose: string[] = [];
  for (const l of lines) {
    if (!l.startsWith("//")) break;
    prose.push(l.replace(/^\/\/\s?/, "").trim());
  }
  return firstSentence(prose.join(" "), 200);
}

const row = (file: string, text: string) => `| \`${file}\` | ${text.replace(/\|/g, "\\|")} |`;

/**
 * `readme` with the rows under the table whose header line starts with `header` replaced by `rows` (the rows are the
 * lines after the header and its `| --- |` line that start with "| `" — or are merge-conflict markers, so a README
 * whose rows conflicted in a merge is mended by a rerun). @throws Error — no such table.
 */
export function spliceRows(readme: string, header: string, rows: string[]): string {
  const lines = readme.split("\n");
  const at = lines.findIndex((l) => l.startsWith(header));
  if (at < 0) throw new Error(`README.md has no table headed ${header}`);
  let end = at + 2;
  while (end < lines.length && /^(\| `|<{7}|={7}|>{7})/.test(lines[end] ?? "")) end++;
  return [...lines.slice(0, at + 2), ...rows, ...lines.slice(end)].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--write")) {
    const readmePath = path.join(ROOT, "README.md");
    let readme = readFileSync(readmePath, "utf8");
    readme = spliceRows(
      readme,
      "| file | what it is |",
      sourceFiles().map((f) => row(f, summary(f))),
    );
    readme = spliceRows(
      readme,
      "| test file | what it proves |",
      testFiles().map((f) => row(f, testClaim(f))),
    );
    writeFileSync(readmePath, readme);
  } else if (process.argv.includes("--tests")) for (const f of testFiles()) console.log(row(f, testClaim(f)));
  else for (const f of sourceFiles()) console.log(row(f, summary(f)));
}
