/**
 * @module scripts/patch-pool-proxy
 * Applies the upstream fix of cloudflare/workers-sdk#15092 (PR #15106, "install wrapper prototype proxy once") to
 * the installed @cloudflare/vitest-pool-workers 0.23.0, whose `createProxyPrototypeClass`
 * (dist/worker/lib/cloudflare/test-internal.mjs) sets `Class.prototype = new Proxy(Class.prototype, …)` on every
 * construction of a wrapped Durable Object class or the Worker's entrypoint. Each construction in one workerd adds
 * a proxy that every later method lookup on that class walks, so in the integration files that share a workerd
 * (vitest.workers.shared.ts) a call costs more the more objects the files before it made. Rewritten, the proxy is
 * installed once, at the first construction (still after workerd has introspected the class, which is why it is
 * not installed at once), with the same trap; nothing else changes.
 *
 * Run from vitest.workers.config.ts before the pool starts its runtimes, not as an npm `postinstall`: that one is
 * skipped by `npm ci --ignore-scripts` (and by installs that forbid scripts), and whatever replaces the package's
 * files later (a reinstall, `npm ci`) leaves them unpatched until the next install; the config runs before every
 * integration run, whatever installed the package. The pool reads the file from disk each time it starts a workerd,
 * so the rewrite takes effect in the run that made it.
 *
 * Guarded: only the exact 0.23.0 text is rewritten (once in the file, or nothing); text already rewritten is left
 * alone (idempotent); any other text (another version, upstream's fix), or a file that cannot be written, is left
 * alone with one warning per process.
 * The new text is written to a temp file beside it and renamed over it, so a reader (or a second vitest patching at
 * the same moment: both write the same bytes) never sees half a file.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** The installed file, from the package's directory. */
export const POOL_PROXY_FILE = "dist/worker/lib/cloudflare/test-internal.mjs";

/** The trap, as 0.23.0 has it, at `indent` tabs (its lines are kept byte for byte in the rewrite, one tab deeper). */
const trap = (indent: string): string[] => [
  `${indent}Class.prototype = new Proxy(Class.prototype, { get(target, key, receiver) {`,
  `${indent}\tconst value = Reflect.get(target, key, receiver);`,
  `${indent}\tif (value !== void 0) return value;`,
  `${indent}\tif (typeof key === "symbol" || IGNORED_KEYS.includes(key)) return;`,
  `${indent}\treturn getUnknownPrototypeKey.call(receiver, key);`,
  `${indent}} });`,
];

/** 0.23.0's wrapper constructor: a proxy more on each construction. */
export const UNPATCHED = [
  "function createProxyPrototypeClass(superClass, getUnknownPrototypeKey) {",
  "\tfunction Class(...args) {",
  ...trap("\t\t"),
  "\t\treturn Reflect.construct(superClass, args, Class);",
  "\t}",
].join("\n");

/** The rewrite: upstream's fix (a flag per wrapper class), the proxy installed at the first construction only. */
export const PATCHED = [
  "function createProxyPrototypeClass(superClass, getUnknownPrototypeKey) {",
  "\t// gigafactory scripts/patch-pool-proxy.ts: the proxy installed once (cloudflare/workers-sdk#15106).",
  "\tlet proxyInstalled = false;",
  "\tfunction Class(...args) {",
  "\t\tif (!proxyInstalled) {",
  ...trap("\t\t\t"),
  "\t\t\tproxyInstalled = true;",
  "\t\t}",
  "\t\treturn Reflect.construct(superClass, args, Class);",
  "\t}",
].join("\n");

/**
 * What a look at the file found: rewritten now, rewritten before, text this module does not know, or the 0.23.0 text
 * that could not be rewritten (a read-only node_modules).
 */
export type PatchOutcome = "patched" | "already" | "unknown" | "unwritable";

/** How many times `part` occurs in `text` (not overlapping). */
const count = (text: string, part: string): number => text.split(part).length - 1;

/**
 * The file's text with the fix applied: `{ outcome: "patched", text }` when `text` holds UNPATCHED exactly once and
 * PATCHED nowhere, `{ outcome: "already", text }` (unchanged) when it holds PATCHED and not UNPATCHED, else
 * `{ outcome: "unknown", text }` (unchanged). Pure; never throws.
 */
export function patchPoolProxyText(text: string): { outcome: PatchOutcome; text: string } {
  const before = count(text, UNPATCHED);
  const after = count(text, PATCHED);
  if (before === 1 && after === 0) return { outcome: "patched", text: text.replace(UNPATCHED, () => PATCHED) };
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
 * Rewrites `file` (absolute path) in place when patchPoolProxyText says so: the new text written to
 * `<file>.<pid>.tmp` with the file's mode, then renamed over it (the temp file removed if the rename fails). Returns
 * the outcome; "unknown" also when the file cannot be read. Warns once per file per process, via `warn`, for
 * "unknown" and "unwritable": the run goes on with the file as it was (and slows down). Never throws.
 */
export function patchPoolProxyFile(file: string, warn: (line: string) => void = console.warn): PatchOutcome {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    text = "";
  }
  const result = patchPoolProxyText(text);
  if (result.outcome === "unknown") {
    warnOnce(
      file,
      warn,
      `⚠ vitest.workers: ${file} is not @cloudflare/vitest-pool-workers 0.23.0's text; left as it is ` +
        "(scripts/patch-pool-proxy.ts). If this version still adds a prototype proxy per construction " +
        "(cloudflare/workers-sdk#15092), the files of vitest.workers.shared.ts slow down one after another.",
    );
  }
  if (result.outcome !== "patched") return result.outcome;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, result.text, { mode: statSync(file).mode & 0o777 });
  } catch (error) {
    return unwritable(file, warn, error);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    return unwritable(file, warn, error);
  }
  return "patched";
}

/** The warning for a file that could not be rewritten; returns "unwritable". */
function unwritable(file: string, warn: (line: string) => void, error: unknown): PatchOutcome {
  const why = error instanceof Error ? error.message : String(error);
  warnOnce(
    file,
    warn,
    `⚠ vitest.workers: ${file} could not be rewritten (${why}); left as it is (scripts/patch-pool-proxy.ts): ` +
      "the files of vitest.workers.shared.ts slow down one after another (cloudflare/workers-sdk#15092).",
  );
  return "unwritable";
}

/**
 * Patches the @cloudflare/vitest-pool-workers that a config in `root` (absolute directory) imports: the first
 * `node_modules/@cloudflare/vitest-pool-workers` on Node's lookup path from `root`. Returns the outcome, or "unknown"
 * (warned) when the package is not found. Never throws.
 */
export function patchPoolProxy(root: string, warn: (line: string) => void = console.warn): PatchOutcome {
  const paths = createRequire(path.join(root, "package.json")).resolve.paths("@cloudflare/vitest-pool-workers") ?? [];
  for (const dir of paths) {
    const file = path.join(dir, "@cloudflare/vitest-pool-workers", POOL_PROXY_FILE);
    try {
      statSync(file);
    } catch {
      continue;
    }
    return patchPoolProxyFile(file, warn);
  }
  return patchPoolProxyFile(path.join(root, "node_modules/@cloudflare/vitest-pool-workers", POOL_PROXY_FILE), warn);
}
