// The integration config's patch of @cloudflare/vitest-pool-workers 0.23.0 (scripts/patch-pool-proxy): on the real
// 0.23.0 text (test/support/pool-proxy-0.23.0.txt, checked against the installed file) the wrapper class installs
// its prototype proxy once, at the first construction — 0.23.0 stacked one per construction — with the same trap
// (inherited members, unknown keys handed to the pool with the receiver, symbols and `self` unanswered); a second
// run changes nothing; any other text is left byte for byte with one warning; the file is replaced whole, with
// its mode, and no temp file is left beside it.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  PATCHED,
  POOL_PROXY_FILE,
  patchPoolProxy,
  patchPoolProxyFile,
  patchPoolProxyText,
  UNPATCHED,
} from "../../scripts/patch-pool-proxy.ts";
import { testTempDir } from "../support/temp-dir.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** IGNORED_KEYS and createProxyPrototypeClass as 0.23.0's test-internal.mjs has them (lines 297-318). */
const FIXTURE = readFileSync(path.join(ROOT, "test/support/pool-proxy-0.23.0.txt"), "utf8");

type Wrap = (
  superClass: new (...args: unknown[]) => object,
  unknown: (this: object, key: string) => unknown,
) => (new (...args: unknown[]) => object) & { prototype: Record<PropertyKey, unknown> };
/** The module text's createProxyPrototypeClass, evaluated in this process. */
const load = (text: string): Wrap => new Function(`${text}\nreturn createProxyPrototypeClass;`)() as Wrap;

class Base {
  constructor(readonly name: string) {}
  greeting() {
    return `hello ${this.name}`;
  }
}

/** A wrapper of Base whose unknown keys are recorded: each proxy level a lookup of a missing key passes asks once. */
function wrapped(text: string) {
  const asked: string[] = [];
  const Wrapped = load(text)(Base as new (...args: unknown[]) => object, function (this: object, key) {
    asked.push(key);
    return key === "missing" ? undefined : `${(this as Base).name}:${key}`;
  });
  return { Wrapped, asked };
}

describe("the rewrite of 0.23.0's createProxyPrototypeClass", () => {
  it("installs the proxy at the first construction only (0.23.0 adds one per construction)", () => {
    const patched = patchPoolProxyText(FIXTURE);
    expect(patched.outcome).toBe("patched");
    for (const [text, levels] of [
      [FIXTURE, 3],
      [patched.text, 1],
    ] as const) {
      const { Wrapped, asked } = wrapped(text);
      const before = Wrapped.prototype;
      new Wrapped("a");
      const first = Wrapped.prototype;
      new Wrapped("b");
      new Wrapped("c");
      // Not installed before a construction: workerd introspects the class as a plain one first.
      expect(first).not.toBe(before);
      expect(Wrapped.prototype === first).toBe(levels === 1);
      expect(Wrapped.prototype.missing).toBeUndefined();
      expect(asked).toEqual(Array(levels).fill("missing"));
    }
  });

  it("answers as 0.23.0's proxy did: inherited members, unknown keys with the receiver, symbols and self not", () => {
    const { Wrapped, asked } = wrapped(patchPoolProxyText(FIXTURE).text);
    const instance = new Wrapped("box") as Base & Record<string, unknown>;
    expect(instance).toBeInstanceOf(Base);
    expect(instance.greeting()).toBe("hello box");
    expect(Reflect.get(Wrapped.prototype, "rpcMethod", instance)).toBe("box:rpcMethod");
    expect(Wrapped.prototype.self).toBeUndefined();
    expect(Wrapped.prototype[Symbol.iterator as unknown as string]).toBeUndefined();
    expect(asked).toEqual(["rpcMethod"]);
  });

  it("is the installed package's text, unpatched or patched", () => {
    const installed = readFileSync(
      path.join(ROOT, "node_modules/@cloudflare/vitest-pool-workers", POOL_PROXY_FILE),
      "utf8",
    );
    expect(installed.includes(FIXTURE) || installed.includes(patchPoolProxyText(FIXTURE).text)).toBe(true);
    expect(patchPoolProxyText(installed).outcome).not.toBe("unknown");
  });
});

describe("patchPoolProxyFile", () => {
  it("rewrites the file once, whole, with its mode: a second run leaves it as it is", () => {
    const dir = testTempDir("gf-pool-proxy-");
    const file = path.join(dir, "test-internal.mjs");
    const original = `// before\n${FIXTURE}\n// after\n`;
    writeFileSync(file, original, { mode: 0o640 });
    const warnings: string[] = [];
    expect(patchPoolProxyFile(file, (w) => warnings.push(w))).toBe("patched");
    const once = readFileSync(file, "utf8");
    expect(once).toBe(original.replace(UNPATCHED, PATCHED));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(patchPoolProxyFile(file, (w) => warnings.push(w))).toBe("already");
    expect(readFileSync(file, "utf8")).toBe(once);
    expect(patchPoolProxyText(once)).toEqual({ outcome: "already", text: once });
    expect(readdirSync(dir)).toEqual(["test-internal.mjs"]);
    expect(warnings).toEqual([]);
  });

  it("leaves any other text alone and warns once", () => {
    const dir = testTempDir("gf-pool-proxy-");
    const texts = {
      other: FIXTURE.replace("IGNORED_KEYS.includes(key)", "IGNORED_KEYS.has(key)"),
      twice: `${FIXTURE}\n${FIXTURE}`,
      both: `${FIXTURE}\n${patchPoolProxyText(FIXTURE).text}`,
    };
    for (const [name, text] of Object.entries(texts)) {
      const file = path.join(dir, `${name}.mjs`);
      writeFileSync(file, text);
      const warnings: string[] = [];
      expect(patchPoolProxyFile(file, (w) => warnings.push(w))).toBe("unknown");
      expect(patchPoolProxyFile(file, (w) => warnings.push(w))).toBe("unknown");
      expect(readFileSync(file, "utf8")).toBe(text);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(file);
    }
    const warnings: string[] = [];
    expect(patchPoolProxy(dir, (w) => warnings.push(w))).toBe("unknown");
    expect(warnings).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(["both.mjs", "other.mjs", "twice.mjs"]);
  });

  it("leaves a file it cannot write as it was, says so once, and never throws (the run goes on)", () => {
    const dir = testTempDir("gf-pool-proxy-");
    const file = path.join(dir, "test-internal.mjs");
    writeFileSync(file, FIXTURE);
    // What stands where the temp file goes is not this patch's to remove: a directory (the write fails, EISDIR).
    mkdirSync(`${file}.${process.pid}.tmp`);
    const warnings: string[] = [];
    expect(patchPoolProxyFile(file, (w) => warnings.push(w))).toBe("unwritable");
    expect(patchPoolProxyFile(file, (w) => warnings.push(w))).toBe("unwritable");
    expect(readFileSync(file, "utf8")).toBe(FIXTURE);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("could not be rewritten");
    expect(readdirSync(dir).sort()).toEqual(["test-internal.mjs", `test-internal.mjs.${process.pid}.tmp`]);
  });
});
