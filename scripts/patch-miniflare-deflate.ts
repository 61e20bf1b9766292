/**
 * @module scripts/patch-miniflare-deflate
 * Makes the installed miniflare 5.20260815.0-alpha open its WebSockets to a workerd without offering permessage-deflate
 * (dist/src/index.js, `fetch` of src/http/fetch.ts: a `ws` client, whose default offers it). The test pool opens its
 * socket to each runtime that way (@cloudflare/vitest-pool-workers `connectToMiniflareSocket`), and the workerd took
 * the offer, so every module the Worker's tests load — ~8.7 MB per isolated integration file with its source map — was
 * deflated by zlib in vitest's one process and inflated again in the workerd, over loopback, where compression saves
 * nothing: ~1 s of zlib in vitest's process per isolated file (pass 50: 5.9 of 98 profiled seconds for six files,
 * the largest single item after idle). The messages read the same uncompressed; the project's own agent socket does
 * the same (src/agent/connection.ts `perMessageDeflate: false`).
 *
 * Run from vitest.workers.config.ts before the pool is imported (why not as a `postinstall`, and how it is guarded
 * and written: scripts/patch-installed): miniflare is loaded with the pool, after the config has run, so the rewrite
 * takes effect in the run that made it.
 */
import { type PatchOutcome, patchFile, patchInstalled, patchText, type TextPatch } from "./patch-installed.ts";

/** The client's construction, as 5.20260815.0-alpha's dist/src/index.js has it (its only `ws` client in `fetch`). */
export const UNPATCHED = [
  "    const ws = new import_ws2.default(url46, protocols, {",
  '      followRedirects: request4.redirect === "follow",',
].join("\n");

/** The rewrite: the same options, with no permessage-deflate offered (ws's own option). */
export const PATCHED = [
  "    const ws = new import_ws2.default(url46, protocols, {",
  "      // gigafactory scripts/patch-miniflare-deflate.ts: loopback to a workerd, nothing gained by compressing.",
  "      perMessageDeflate: false,",
  '      followRedirects: request4.redirect === "follow",',
].join("\n");

export const MINIFLARE_DEFLATE_PATCH: TextPatch = {
  pkg: "miniflare",
  version: "5.20260815.0-alpha",
  file: "dist/src/index.js",
  unpatched: UNPATCHED,
  patched: PATCHED,
  script: "scripts/patch-miniflare-deflate.ts",
  cost: "each module sent to a workerd is deflated and inflated again over loopback (~1 CPU-s per isolated file).",
};

/** The file's text with the rewrite applied (scripts/patch-installed `patchText`). Pure; never throws. */
export const patchMiniflareDeflateText = (text: string) => patchText(MINIFLARE_DEFLATE_PATCH, text);

/** Rewrites `file` (absolute path) in place (scripts/patch-installed `patchFile`). Never throws. */
export const patchMiniflareDeflateFile = (file: string, warn: (line: string) => void = console.warn): PatchOutcome =>
  patchFile(MINIFLARE_DEFLATE_PATCH, file, warn);

/** Patches the miniflare a config in `root` (absolute directory) imports (scripts/patch-installed). Never throws. */
export const patchMiniflareDeflate = (root: string, warn: (line: string) => void = console.warn): PatchOutcome =>
  patchInstalled(MINIFLARE_DEFLATE_PATCH, root, warn);
