/**
 * @module scripts/source-map
 * Prints the README's source map: one line per source file, taken from the
 * first sentence of its `@module` header. `npm run source-map` regenerates it;
 * a unit test fails when the README misses a file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MAPPED_DIRS = ["src", "scripts", "bench", "bin", "dashboard", "examples/engines"];

export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(ROOT, dir)).sort()) {
      const rel = path.join(dir, name);
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

export function summary(file: string): string {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const header = /\/\*\*?([\s\S]*?)\*\//.exec(text)?.[1] ?? /^\/\/ (.*)$/m.exec(text)?.[1] ?? "";
  const prose = header
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => l && !l.startsWith("@module"))
    .join(" ");
  const first = /^(.*?[.!?])(\s|$)/.exec(prose)?.[1] ?? prose;
  return first.length > 160 ? `${first.slice(0, 157)}…` : first;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of sourceFiles()) console.log(`| \`${f}\` | ${summary(f).replace(/\|/g, "\\|")} |`);
}
