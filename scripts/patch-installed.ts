/**
 * @module scripts/patch-installed
 * A text rewrite of one file of an installed package, made the one safe way the integration config's patches of
 * @cloudflare/vitest-pool-workers 0.23.0 need (scripts/patch-pool-proxy, scripts/patch-pool-serialize): only the
 * exact text it was written for is rewritten (found once in the file, its rewrite nowhere); text already rewritten is
 * left alone (idempotent); any other text (another version, an upstream fix), or a file that cannot be written, is
 * left alone with one warning per file per process, and the run goes on. Never throws.
 * Run from the config before the pool starts, not as an npm `postinstall`: that one is skipped by
 * `npm ci --ignore-scripts` (and by installs that forbid scripts), and whatever replaces the package's files later
 * leaves them unpatched until the next install; the config runs before every integration run, whatever installed it.
 * The new text is written to a temp file beside it and renamed over it, so a reader (or a second vitest patching at
 * the same moment: both write the same bytes) never sees half a file.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** One rewrite: `unpatched` (the text of `pkg` at `version`) becomes `patched` in `file` of `pkg`. */
export interface TextPatch {
  /** The package's name, as imported: `@cloudflare/vitest-pool-workers`. */
  pkg: string;
  /** The version whose text `unpatched` is, named in the warnings: `0.23.0`. */
  version: string;
  /** The file, from the package's directory. */
  file: string;
  unpatched: string;
  patched: string;
  /** The script that holds the patch, named in its warnings. */
  script: string;
  /** What goes wrong while the file stays unpatched, said in its warnings. */
  cost: string;
}

/**
 * What a look at the file found: rewritten now, rewritten before, text the patch does not know, or the known text
 * that could not be rewritten (a read-only node_modules).
 */
export type PatchOutcome = "patched" | "already" | "unknown" | "unwritable";

/** How many times `part` occurs in `text` (not overlapping). */
const count = (text: string, part: string): number => text.split(part).length - 1;

/**
 * `text` with the patch applied: `{ outcome: "patched", text }` when it holds `unpatched` exactly once and `patched`
 * nowhere, `{ outcome: "already", text }` (unchanged) when it holds `patched` and not `unpatched`, else
 * `{ outcome: "unknown", text }` (unchanged). Pure; never throws.
 */
export function patchText(patch: TextPatch, text: string): { outcome: PatchOutcome; text: string } {
  const before = count(text, patch.unpatched);
  const after = count(text, patch.patched);
  if (before === 1 && after === 0)
    return { outcome: "patched", text: text.replace(patch.unpatched, () => patch.patched) };
  if (before === 0 && after === 1) return { outcome: "already", text };
  return { outcome: "unknown", text };
}

/** Files warned of in this process: the config is evaluated once per project in some vitest versions. */
const warned = new Set<string>();

/** `line` said through `warn` once per `file` in this process. */
function warnOnce(file: string, warn: (line: string) => void, line: string): void {
  if (warned.has(file)) return;
  warned.add(file);
  warn(line);
}

/**
 * Rewrites `file` (absolute path) in place when patchText says so: the new text written to `<file>.<pid>.tmp` with
 * the file's mode, then renamed over it (the temp file removed if the rename fails). Returns the outcome; "unknown"
 * also when the file cannot be read. Warns once per file per process, via `warn`, for "unknown" and "unwritable":
 * the run goes on with the file as it was. Never throws.
 */
export function patchFile(patch: TextPatch, file: string, warn: (line: string) => void = console.warn): PatchOutcome {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    text = "";
  }
  const result = patchText(patch, text);
  if (result.outcome === "unknown") {
    const known = `${patch.pkg} ${patch.version}'s text`;
    warnOnce(file, warn, `⚠ vitest.workers: ${file} is not ${known}; left as it is (${patch.script}): ${patch.cost}`);
  }
  if (result.outcome !== "patched") return result.outcome;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, result.text, { mode: statSync(file).mode & 0o777 });
  } catch (error) {
    return unwritable(patch, file, warn, error);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    return unwritable(patch, file, warn, error);
  }
  return "patched";
}

/** The warning for a file that could not be rewritten; returns "unwritable". */
function unwritable(patch: TextPatch, file: string, warn: (line: string) => void, error: unknown): PatchOutcome {
  const why = error instanceof Error ? error.message : String(error);
  const line = `⚠ vitest.workers: ${file} could not be rewritten (${why}); left as it is (${patch.script}): ${patch.cost}`;
  warnOnce(file, warn, line);
  return "unwritable";
}

/**
 * Patches the copy of `patch.pkg` that a config in `root` (absolute directory) imports: the first
 * `node_modules/<pkg>` on Node's lookup path from `root` that holds `patch.file`. Returns the outcome, or "unknown"
 * (warned) when the package is not found. Never throws.
 */
export function patchInstalled(
  patch: TextPatch,
  root: string,
  warn: (line: string) => void = console.warn,
): PatchOutcome {
  const paths = createRequire(path.join(root, "package.json")).resolve.paths(patch.pkg) ?? [];
  for (const dir of paths) {
    const file = path.join(dir, patch.pkg, patch.file);
    try {
      statSync(file);
    } catch {
      continue;
    }
    return patchFile(patch, file, warn);
  }
  return patchFile(patch, path.join(root, "node_modules", patch.pkg, patch.file), warn);
}
