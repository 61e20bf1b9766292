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
 * Run from vitest.workers.config.ts before the pool starts its runtimes (why not as a `postinstall`, and how it is
 * guarded and written: scripts/patch-installed). The pool reads the file from disk each time it starts a workerd, so
 * the rewrite takes effect in the run that made it.
 */
import { type PatchOutcome, patchFile, patchInstalled, patchText, type TextPatch } from "./patch-installed.ts";

export type { PatchOutcome };

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

/** The rewrite, as scripts/patch-installed applies it. */
export const POOL_PROXY_PATCH: TextPatch = {
  pkg: "@cloudflare/vitest-pool-workers",
  version: "0.23.0",
  file: POOL_PROXY_FILE,
  unpatched: UNPATCHED,
  patched: PATCHED,
  script: "scripts/patch-pool-proxy.ts",
  cost:
    "if this version still adds a prototype proxy per construction (cloudflare/workers-sdk#15092), the files of " +
    "vitest.workers.shared.ts slow down one after another.",
};

/** The file's text with the fix applied (scripts/patch-installed `patchText`). Pure; never throws. */
export const patchPoolProxyText = (text: string) => patchText(POOL_PROXY_PATCH, text);

/** Rewrites `file` (absolute path) in place (scripts/patch-installed `patchFile`). Never throws. */
export const patchPoolProxyFile = (file: string, warn: (line: string) => void = console.warn): PatchOutcome =>
  patchFile(POOL_PROXY_PATCH, file, warn);

/** Patches the pool a config in `root` (absolute directory) imports (scripts/patch-installed). Never throws. */
export const patchPoolProxy = (root: string, warn: (line: string) => void = console.warn): PatchOutcome =>
  patchInstalled(POOL_PROXY_PATCH, root, warn);
