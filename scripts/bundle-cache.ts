/**
 * @module scripts/bundle-cache
 * The Worker's bundle for `npm start` and `npm run dev`, reused while nothing it is built from changed: each start
 * rebundled with wrangler (~2 CPU-s and 5-7 s on a loaded 2-core machine) from sources that had not changed since the
 * last one. A bundle is kept under `.wrangler/bundle-cache/<key>/` (the checkout's, whatever state dir a start uses:
 * the bundle depends on the sources, not on the state), beside a `key` file naming what it was built from:
 * - every file under `src/` (path and bytes: wrangler bundles `src/worker/index.ts` and what it imports, and nothing
 *   under `src/` imports a file outside it — test/unit/bundle-cache checks that),
 * - `wrangler.toml`, `tsconfig.json` (esbuild reads it), `package.json`, `package-lock.json` and npm's record of what is
 *   installed (`node_modules/.package-lock.json`): the packages bundled in,
 * - the installed wrangler's and esbuild's versions, and the environment wrangler reads into the bundle (`NODE_ENV`,
 *   `CLOUDFLARE_ENV`, `WRANGLER_BUILD_*`).
 * Any change gives another key, so an edit under `src/` always gets a fresh bundle at the next start. A bundle is
 * built in a temp dir beside the others and renamed into place once complete: a start stopped or crashed mid-build
 * leaves no entry that reads as built. `GF_NO_BUNDLE_CACHE=1` bundles afresh under the state dir, as before the cache
 * (test/e2e/start-early-stop stops a start during that bundling).
 */
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { isRunning } from "./process-tree.ts";
import { bundleWorker, ROOT } from "./wrangler-runs.ts";

/** Where a checkout's bundles are kept (gitignored with the rest of `.wrangler/`). */
export const BUNDLE_CACHE_DIR = path.join(ROOT, ".wrangler", "bundle-cache");
/** 4: bundles of other sources kept (a branch switched back and forth, worktrees sharing one); older ones go. */
const KEEP = 4;
/** Files outside `src/` that decide what the bundle holds, relative to the checkout. */
const KEY_FILES = [
  "wrangler.toml",
  "tsconfig.json",
  "package.json",
  "package-lock.json",
  "node_modules/.package-lock.json",
];
/** The environment wrangler's bundling reads (its `process.env.NODE_ENV` define, the environment it picks). */
const KEY_ENV = ["NODE_ENV", "CLOUDFLARE_ENV", "WRANGLER_BUILD_CONDITIONS", "WRANGLER_BUILD_PLATFORM"];

/** Every regular file under `dir`, as paths relative to it with `/` separators, sorted. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((rel) => statSync(path.join(dir, rel)).isFile())
    .map((rel) => rel.split(path.sep).join("/"))
    .sort();
}

/** The `version` of an installed package's package.json, resolved from `from`; "none" when it is not installed. */
function installedVersion(from: string, name: string): string {
  try {
    const file = createRequire(from).resolve(`${name}/package.json`);
    return String((JSON.parse(readFileSync(file, "utf8")) as { version?: unknown }).version);
  } catch {
    return "none";
  }
}

/**
 * The cache key of the bundle `root`'s sources build (64 hex chars, sha256): see the module's list of what goes in.
 * Reads ~500 files (~4 MB) in ~50 ms. Throws only if `root/src` cannot be read.
 */
export function bundleKey(root: string = ROOT, env: NodeJS.ProcessEnv = process.env): string {
  const h = createHash("sha256");
  // Each part is named and its length given: no two different inputs can run together into the same bytes.
  const part = (name: string, bytes: Buffer | string) => {
    h.update(`${name}\0${Buffer.byteLength(bytes)}\0`);
    h.update(bytes);
  };
  const src = path.join(root, "src");
  for (const rel of filesUnder(src)) part(`src/${rel}`, readFileSync(path.join(src, rel)));
  for (const rel of KEY_FILES) {
    const file = path.join(root, rel);
    part(rel, existsSync(file) ? readFileSync(file) : "(missing)");
  }
  const wranglerPkg = path.join(root, "node_modules", "wrangler", "package.json");
  part("wrangler", installedVersion(path.join(root, "package.json"), "wrangler"));
  part("esbuild", installedVersion(wranglerPkg, "esbuild"));
  for (const name of KEY_ENV) part(`env ${name}`, env[name] ?? "(unset)");
  return h.digest("hex");
}

/** Builds a bundle into `outdir` and returns its `index.js`; rejects when `signal` stops it (scripts/wrangler-runs). */
export type BuildBundle = (outdir: string, signal?: AbortSignal) => Promise<string>;

/** The bundle in `dir` when it is a complete one of `key`: its `key` file says so and its `index.js` is there. */
function builtFor(dir: string, key: string): string | undefined {
  const script = path.join(dir, "index.js");
  try {
    return readFileSync(path.join(dir, "key"), "utf8") === key && existsSync(script) ? script : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the bundles past the `KEEP` most recently used, and temp dirs whose builder is gone (a crash mid-build). */
function prune(cacheDir: string, current: string): void {
  const entries = readdirSync(cacheDir);
  for (const name of entries.filter((n) => n.startsWith(".tmp-"))) {
    const pid = Number(name.split("-")[1]);
    if (!(Number.isInteger(pid) && pid > 0 && isRunning(pid)))
      rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
  const built = entries
    .filter((n) => !n.startsWith(".") && n !== current)
    .map((n) => ({ n, at: statSync(path.join(cacheDir, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { n } of built.slice(KEEP)) rmSync(path.join(cacheDir, n), { recursive: true, force: true });
}

/**
 * The `index.js` of the bundle for `key` under `cacheDir`: the one built before if complete, else one `build` makes
 * in a temp dir there, renamed to `<key>/` once it is whole (another start that got there first wins; its bundle
 * is the same). Rejects as `build` does (its failure, or a stop on `signal`), leaving no entry behind.
 */
export async function cachedBundle(opts: {
  cacheDir: string;
  key: string;
  build: BuildBundle;
  signal?: AbortSignal;
  /** The key of the sources as they are now: a build they changed under is of unknown text, built again. */
  keyNow?: () => string;
  /** Builds left before sources that keep changing under each build are an error (3: an editor's save, not a loop). */
  tries?: number;
}): Promise<string> {
  const { cacheDir, key } = opts;
  const dir = path.join(cacheDir, key);
  const hit = builtFor(dir, key);
  if (hit) {
    // Its mtime says when it was last used: pruning keeps the recent ones.
    const now = new Date();
    utimesSync(dir, now, now);
    return hit;
  }
  mkdirSync(cacheDir, { recursive: true });
  // Beside the final dir, at the same depth: the source map's relative paths stay right after the rename.
  const tmp = path.join(cacheDir, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await opts.build(tmp, opts.signal);
    // A file saved (or a branch checked out) while wrangler read the sources: kept under `key`, this bundle of other
    // text was served by every later start on `key`'s sources. Built again from what is there now.
    const now = opts.keyNow?.() ?? key;
    if (now !== key) {
      const tries = (opts.tries ?? 3) - 1;
      if (tries <= 0)
        throw new Error(
          "the Worker's sources changed during each of 3 bundlings: stop what is writing src/, then start again",
        );
      return await cachedBundle({ ...opts, key: now, tries });
    }
    writeFileSync(path.join(tmp, "key"), key);
    try {
      renameSync(tmp, dir);
    } catch {
      // Another start renamed the same bundle in first (ENOTEMPTY): use it. A dir there that is not a complete
      // bundle (left by hand) is replaced.
      if (builtFor(dir, key) === undefined) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  prune(cacheDir, key);
  return path.join(dir, "index.js");
}

/**
 * The bundle a local start serves (`index.js`'s path): the cached one for the checkout's sources, built on a miss;
 * with `GF_NO_BUNDLE_CACHE=1` a fresh one under `persistTo/bundle`, as before the cache. Rejects with wrangler's
 * output when bundling fails, or `stopped while starting` when `signal` stops it.
 */
export async function workerBundle(
  persistTo: string,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (env.GF_NO_BUNDLE_CACHE === "1") return bundleWorker(path.join(persistTo, "bundle"), signal);
  const keyNow = () => bundleKey(ROOT, env);
  return cachedBundle({ cacheDir: BUNDLE_CACHE_DIR, key: keyNow(), keyNow, build: bundleWorker, signal });
}
