/**
 * @module scripts/patch-pool-serialize
 * Makes the installed @cloudflare/vitest-pool-workers 0.23.0 write a string into its messages to a workerd with
 * `JSON.stringify` instead of devalue's `stringify_string`, which walks the string in JavaScript one character at a
 * time (a `switch` and a call per character) to escape it (dist/pool/index.mjs). Every module the Worker's tests load
 * goes to the workerd as one such message, its code with an inline source map: ~8.7 MB per isolated integration file
 * (zod's bundle alone 2.4 MB), so that walk was about a third of vitest's own CPU per file — 2.6 s of stringify
 * for two files, 0.31 s rewritten (pass 41, measured inside the pool).
 *
 * The string read back is the same: the workerd parses each message with devalue's `parse`, which is `JSON.parse`,
 * and JSON.parse of either escaping gives the string escaped (devalue also escapes `<`, U+2028 and U+2029, which
 * JSON text may hold as they are). A lone surrogate fares better: JSON.stringify writes it as a `\u` escape, where
 * devalue left it raw and the message's UTF-8 encoding turned it into U+FFFD.
 *
 * Run from vitest.workers.config.ts before the pool starts (scripts/patch-installed: the 0.23.0 text only, once,
 * warned and left alone otherwise). The pool module is loaded after the config has run, so the rewrite takes effect
 * in the run that made it.
 */
import { type PatchOutcome, patchFile, patchInstalled, patchText, type TextPatch } from "./patch-installed.ts";

/** devalue's escape of one string, as 0.23.0's dist/pool/index.mjs has it (devalue 5.6.3, bundled). */
export const UNPATCHED = [
  "function stringify_string(str) {",
  '\tlet result = "";',
  "\tlet last_pos = 0;",
  "\tconst len = str.length;",
  "\tfor (let i = 0; i < len; i += 1) {",
  "\t\tconst char = str[i];",
  "\t\tconst replacement = get_escaped_char(char);",
  "\t\tif (replacement) {",
  "\t\t\tresult += str.slice(last_pos, i) + replacement;",
  "\t\t\tlast_pos = i + 1;",
  "\t\t}",
  "\t}",
  // \u0024 is the `$` of the template's `${`, spelt so that the source holds no `${` in a plain string.
  '\treturn `"\u0024{last_pos === 0 ? str : result + str.slice(last_pos)}"`;',
  "}",
].join("\n");

/** The rewrite: V8's own escaping, the same string once parsed. */
export const PATCHED = [
  "function stringify_string(str) {",
  "\t// gigafactory scripts/patch-pool-serialize.ts: the same string once parsed (JSON.parse), escaped natively.",
  "\treturn JSON.stringify(str);",
  "}",
].join("\n");

export const POOL_SERIALIZE_PATCH: TextPatch = {
  pkg: "@cloudflare/vitest-pool-workers",
  version: "0.23.0",
  file: "dist/pool/index.mjs",
  unpatched: UNPATCHED,
  patched: PATCHED,
  script: "scripts/patch-pool-serialize.ts",
  cost: "every module sent to a workerd is escaped one character at a time in JavaScript (~0.5 CPU-s per isolated file).",
};

/** The file's text with the rewrite applied (scripts/patch-installed `patchText`). Pure; never throws. */
export const patchPoolSerializeText = (text: string) => patchText(POOL_SERIALIZE_PATCH, text);

/** Rewrites `file` (absolute path) in place (scripts/patch-installed `patchFile`). Never throws. */
export const patchPoolSerializeFile = (file: string, warn: (line: string) => void = console.warn): PatchOutcome =>
  patchFile(POOL_SERIALIZE_PATCH, file, warn);

/** Patches the pool a config in `root` (absolute directory) imports (scripts/patch-installed). Never throws. */
export const patchPoolSerialize = (root: string, warn: (line: string) => void = console.warn): PatchOutcome =>
  patchInstalled(POOL_SERIALIZE_PATCH, root, warn);
