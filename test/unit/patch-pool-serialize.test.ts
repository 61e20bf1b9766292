// The integration config's rewrite of @cloudflare/vitest-pool-workers 0.23.0's string escape
// (scripts/patch-pool-serialize): on the real 0.23.0 text (test/support/pool-serialize-0.23.0.txt, checked against the
// installed file) the rewritten stringify_string walks no string in JavaScript — 0.23.0 asked get_escaped_char once per
// character of every module sent to a workerd — and any string, `<`, U+2028, control characters and lone surrogates
// included, reads back through JSON.parse (devalue's parse) as it was, as 0.23.0's escape did; a second run changes
// nothing, other text is left alone with one warning.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PATCHED,
  POOL_SERIALIZE_PATCH,
  patchPoolSerializeFile,
  patchPoolSerializeText,
  UNPATCHED,
} from "../../scripts/patch-pool-serialize.ts";
import { testTempDir } from "../support/temp-dir.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** get_escaped_char and stringify_string as 0.23.0's dist/pool/index.mjs has them (lines 45224-45254). */
const FIXTURE = readFileSync(path.join(ROOT, "test/support/pool-serialize-0.23.0.txt"), "utf8");

/** The text's stringify_string, evaluated here, with a count of its calls of get_escaped_char (the per-character walk). */
function load(text: string): { stringify: (s: string) => string; walked: () => number } {
  let calls = 0;
  const counted = text.replace("function get_escaped_char(char) {", "function get_escaped_char(char) {\n\tcount();");
  const stringify = new Function("count", `${counted}\nreturn stringify_string;`)(() => {
    calls++;
  }) as (s: string) => string;
  return { stringify, walked: () => calls };
}

/** Strings with what either escape treats apart: quotes, backslashes, `<`, controls, U+2028/9, lone surrogates. */
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '"',
      "\\",
      "<",
      "\n",
      "\r",
      "\t",
      "\b",
      "\f",
      "\u0000",
      "\u001f",
      "\u2028",
      "\u2029",
      "\ud800",
      "\udfff",
    ),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    fc.string({ unit: "grapheme-composite", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 200,
});

describe("the rewrite of 0.23.0's stringify_string", () => {
  const original = load(FIXTURE);
  const patched = patchPoolSerializeText(FIXTURE);
  const rewritten = load(patched.text);

  it("walks no string in JavaScript (0.23.0 asked get_escaped_char once per character)", () => {
    expect(patched.outcome).toBe("patched");
    const moduleText = `export const a = "<b>";\n`.repeat(1_000);
    original.stringify(moduleText);
    expect(original.walked()).toBe(moduleText.length);
    rewritten.stringify(moduleText);
    expect(rewritten.walked()).toBe(0);
  });

  it("gives any string back through JSON.parse (devalue's parse) as it was, as 0.23.0's escape did", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        expect(JSON.parse(rewritten.stringify(s))).toBe(s);
        expect(JSON.parse(original.stringify(s))).toBe(s);
      }),
      { numRuns: 2_000 },
    );
  });

  it("is the installed package's text, unpatched or patched", () => {
    const installed = readFileSync(
      path.join(ROOT, "node_modules", POOL_SERIALIZE_PATCH.pkg, POOL_SERIALIZE_PATCH.file),
      "utf8",
    );
    expect(installed.includes(FIXTURE) || installed.includes(patched.text)).toBe(true);
    expect(patchPoolSerializeText(installed).outcome).not.toBe("unknown");
  });
});

describe("patchPoolSerializeFile", () => {
  it("rewrites the file once; a second run leaves it; other text is left alone with one warning", () => {
    const dir = testTempDir("gf-pool-serialize-");
    const file = path.join(dir, "index.mjs");
    const original = `// before\n${FIXTURE}\n// after\n`;
    writeFileSync(file, original);
    const warnings: string[] = [];
    expect(patchPoolSerializeFile(file, (w) => warnings.push(w))).toBe("patched");
    expect(readFileSync(file, "utf8")).toBe(original.replace(UNPATCHED, PATCHED));
    expect(patchPoolSerializeFile(file, (w) => warnings.push(w))).toBe("already");
    expect(warnings).toEqual([]);
    const other = path.join(dir, "other.mjs");
    const text = FIXTURE.replace("i += 1", "i++");
    writeFileSync(other, text);
    expect(patchPoolSerializeFile(other, (w) => warnings.push(w))).toBe("unknown");
    expect(patchPoolSerializeFile(other, (w) => warnings.push(w))).toBe("unknown");
    expect(readFileSync(other, "utf8")).toBe(text);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("scripts/patch-pool-serialize.ts");
  });
});
