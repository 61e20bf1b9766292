// The Worker bundle `npm start` and `npm run dev` reuse (scripts/bundle-cache): its key changes with any file's text
// under src/, a file added or renamed there, wrangler.toml, the lock file or the environment wrangler bundles in, so
// a user who edits src/ and restarts gets a fresh bundle of the new text; the same sources reuse the last bundle with
// no build; a build that fails or is stopped midway leaves no entry (the next start builds), a bundle missing its
// index.js is rebuilt, a crashed build's temp dir and bundles past the four most recent are removed; and nothing
// under src/ imports a file outside src/ (what the key leaves out).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleKey, cachedBundle } from "../../scripts/bundle-cache.ts";
import { ROOT } from "../../scripts/wrangler-runs.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A checkout as the key reads it: a few sources under src/, wrangler.toml and the lock files. */
function checkout(): string {
  const root = tempDir("gf-bundle-src-");
  mkdirSync(path.join(root, "src", "worker"), { recursive: true });
  writeFileSync(path.join(root, "src", "worker", "index.ts"), 'export const greeting = "hello";\n');
  writeFileSync(path.join(root, "src", "shared.ts"), "export const n = 1;\n");
  writeFileSync(path.join(root, "wrangler.toml"), 'main = "src/worker/index.ts"\n');
  writeFileSync(path.join(root, "package.json"), "{}\n");
  writeFileSync(path.join(root, "package-lock.json"), '{"lockfileVersion":3}\n');
  return root;
}

/** A stand-in for wrangler: the bundle is the sources' text, so a test can see which text a bundle was built from. */
function builder(root: string) {
  const built: string[] = [];
  const build = async (outdir: string) => {
    mkdirSync(outdir, { recursive: true });
    const text = readFileSync(path.join(root, "src", "worker", "index.ts"), "utf8");
    writeFileSync(path.join(outdir, "index.js"), text);
    built.push(text);
    return path.join(outdir, "index.js");
  };
  return { build, built };
}

describe("the bundle's key", () => {
  it("is the same for the same sources, and changes with any input a bundle is built from", () => {
    const root = checkout();
    const env = {};
    const first = bundleKey(root, env);
    expect(bundleKey(root, env)).toBe(first);
    const keys = new Set([first]);
    const changed = (what: string, change: () => void, undo: () => void) => {
      change();
      const key = bundleKey(root, env);
      expect(keys.has(key), what).toBe(false);
      keys.add(key);
      undo();
      expect(bundleKey(root, env), `${what}, undone`).toBe(first);
    };
    const file = path.join(root, "src", "shared.ts");
    changed(
      "a file's text under src/",
      () => writeFileSync(file, "export const n = 2;\n"),
      () => writeFileSync(file, "export const n = 1;\n"),
    );
    const added = path.join(root, "src", "worker", "new.ts");
    changed(
      "a file added under src/",
      () => writeFileSync(added, ""),
      () => rmSync(added),
    );
    const moved = path.join(root, "src", "worker", "shared.ts");
    changed(
      "a file renamed under src/",
      () => renameSync(file, moved),
      () => renameSync(moved, file),
    );
    for (const rel of ["wrangler.toml", "package-lock.json"]) {
      const f = path.join(root, rel);
      const before = readFileSync(f, "utf8");
      changed(
        rel,
        () => writeFileSync(f, `${before}# changed\n`),
        () => writeFileSync(f, before),
      );
    }
    const key = bundleKey(root, { NODE_ENV: "development" });
    expect(keys.has(key), "NODE_ENV (wrangler defines process.env.NODE_ENV with it)").toBe(false);
  });

  it("reads the checkout's own sources in well under a bundling's time", () => {
    const started = performance.now();
    expect(bundleKey()).toMatch(/^[0-9a-f]{64}$/);
    // A wrangler bundling takes ~2 CPU-s; hashing src/ takes ~50 ms. A key that cost seconds would save nothing.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("the cached bundle", () => {
  it("is reused for the same sources, and rebuilt from the new text after src/ is edited", async () => {
    const root = checkout();
    const cacheDir = path.join(tempDir("gf-bundle-cache-"), "cache");
    const { build, built } = builder(root);
    const bundle = () => cachedBundle({ cacheDir, key: bundleKey(root, {}), build });
    const first = await bundle();
    expect(readFileSync(first, "utf8")).toBe('export const greeting = "hello";\n');
    expect(await bundle()).toBe(first);
    expect(built).toHaveLength(1);

    // The user edits a source and restarts: the new text, built afresh.
    writeFileSync(path.join(root, "src", "worker", "index.ts"), 'export const greeting = "hi";\n');
    const second = await bundle();
    expect(second).not.toBe(first);
    expect(readFileSync(second, "utf8")).toBe('export const greeting = "hi";\n');
    expect(built).toHaveLength(2);
    // Its key is written beside it, and no temp dir is left.
    expect(readFileSync(path.join(path.dirname(second), "key"), "utf8")).toBe(bundleKey(root, {}));
    expect(readdirSync(cacheDir).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("sources edited while a build reads them: that bundle is not kept under the key it started from", async () => {
    const root = checkout();
    const cacheDir = tempDir("gf-bundle-cache-");
    const index = path.join(root, "src", "worker", "index.ts");
    const { build, built } = builder(root);
    const keyNow = () => bundleKey(root, {});
    const savedMidway: typeof build = async (outdir) => {
      if (built.length === 0) writeFileSync(index, 'export const greeting = "saved while bundling";\n');
      return build(outdir);
    };
    const first = await cachedBundle({ cacheDir, key: keyNow(), keyNow, build: savedMidway });
    expect(readFileSync(first, "utf8")).toContain("saved while bundling");
    writeFileSync(index, 'export const greeting = "hello";\n'); // the edit undone: this text was never bundled
    const again = await cachedBundle({ cacheDir, key: keyNow(), keyNow, build });
    expect(readFileSync(again, "utf8")).toBe('export const greeting = "hello";\n');
  });

  it("sources that change under every build: an error after 3 bundlings, nothing kept", async () => {
    const root = checkout();
    const cacheDir = tempDir("gf-bundle-cache-");
    const index = path.join(root, "src", "worker", "index.ts");
    const { build, built } = builder(root);
    const keyNow = () => bundleKey(root, {});
    const restless: typeof build = async (outdir) => {
      writeFileSync(index, `export const greeting = "save ${built.length}";\n`);
      return build(outdir);
    };
    await expect(cachedBundle({ cacheDir, key: keyNow(), keyNow, build: restless })).rejects.toThrow(
      /changed during each of 3 bundlings/,
    );
    expect(built).toHaveLength(3);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it("a build that fails midway leaves nothing that reads as built: the next start builds", async () => {
    const root = checkout();
    const cacheDir = path.join(tempDir("gf-bundle-cache-"), "cache");
    const key = bundleKey(root, {});
    const crash = async (outdir: string) => {
      mkdirSync(outdir, { recursive: true });
      writeFileSync(path.join(outdir, "index.js"), "export const half"); // half written, then the build dies
      throw new Error("stopped while starting");
    };
    await expect(cachedBundle({ cacheDir, key, build: crash })).rejects.toThrow("stopped while starting");
    expect(readdirSync(cacheDir)).toEqual([]);
    const { build, built } = builder(root);
    const script = await cachedBundle({ cacheDir, key, build });
    expect(readFileSync(script, "utf8")).toBe('export const greeting = "hello";\n');
    expect(built).toHaveLength(1);
  });

  it("a bundle missing its index.js, or its key file, is rebuilt in place", async () => {
    const root = checkout();
    const cacheDir = path.join(tempDir("gf-bundle-cache-"), "cache");
    const key = bundleKey(root, {});
    const { build, built } = builder(root);
    const script = await cachedBundle({ cacheDir, key, build });
    rmSync(script);
    expect(await cachedBundle({ cacheDir, key, build })).toBe(script);
    expect(existsSync(script)).toBe(true);
    rmSync(path.join(path.dirname(script), "key"));
    expect(await cachedBundle({ cacheDir, key, build })).toBe(script);
    expect(built).toHaveLength(3);
    expect(await cachedBundle({ cacheDir, key, build })).toBe(script);
    expect(built).toHaveLength(3);
  });

  it("removes a crashed build's temp dir and keeps the four most recent other bundles", async () => {
    const root = checkout();
    const cacheDir = path.join(tempDir("gf-bundle-cache-"), "cache");
    // A build that crashed: its builder's PID (2^22 + 1, above Linux's pid_max) runs no more.
    const crashed = path.join(cacheDir, `.tmp-${2 ** 22 + 1}-dead`);
    mkdirSync(crashed, { recursive: true });
    const { build } = builder(root);
    for (let i = 0; i < 7; i++) await cachedBundle({ cacheDir, key: `key${i}`, build });
    expect(existsSync(crashed)).toBe(false);
    expect(readdirSync(cacheDir).sort()).toEqual(["key2", "key3", "key4", "key5", "key6"]);
  });
});

describe("what the key reads", () => {
  it("no file under src/ imports one outside src/ (the key hashes src/ and the lock files, not the rest)", () => {
    const src = path.join(ROOT, "src");
    const outside: string[] = [];
    for (const rel of readdirSync(src, { recursive: true }) as string[]) {
      if (!/\.(ts|js|mjs|json)$/.test(rel)) continue;
      const text = readFileSync(path.join(src, rel), "utf8");
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = path.resolve(src, path.dirname(rel), m[1] as string);
        if (!target.startsWith(`${src}${path.sep}`)) outside.push(`${rel}: ${m[1]}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
