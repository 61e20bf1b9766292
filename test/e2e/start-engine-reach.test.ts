// A first run in a checkout `nobody` cannot enter stages Node and the sample engine in a shared temp dir
// (scripts/engine-user-reach), and the e2e workers all do it at once: no worker may be handed a file another is still
// writing (a half-copied Node fails to exec, or `ETXTBSY`), and a partial file left behind is not taken as staged.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stageFile, stagingDir } from "../../scripts/engine-user-reach.ts";
import { ROOT } from "../../scripts/local-server.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir on `base`; /dev/shm is another filesystem than the temp dir, so a stage there must copy. */
function freshDir(base: string): string {
  const d = mkdtempSync(path.join(base, "gf-reach-"));
  dirs.push(d);
  return d;
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** 64 MiB of varied bytes: a copy that takes long enough for other workers to look while it runs. */
function bigSource(): string {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const file = path.join(freshDir(base), "node");
  const chunk = Buffer.alloc(1 << 20);
  const parts: Buffer[] = [];
  for (let i = 0; i < 64; i++) parts.push(Buffer.from(chunk.fill(i + 1)));
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/**
 * A worker process that stages `from` into `dir` once `go` exists (all start together, as workers do on a first run),
 * then hashes what it was handed, as the tests then exec it. It says it is ready by creating `ready.<n>`.
 */
function stageInChild(
  from: string,
  dir: string,
  gate: string,
  n: number,
): Promise<{ code: number | null; out: string }> {
  const script = `
    import { createHash } from "node:crypto";
    import { existsSync, readFileSync, writeFileSync } from "node:fs";
    import { stageFile } from ${JSON.stringify(path.join(ROOT, "scripts", "engine-user-reach.ts"))};
    const [from, dir, gate, n] = process.argv.slice(1);
    writeFileSync(gate + "/ready." + n, "");
    // Never left waiting: a test that failed before opening the gate removes it (afterAll), and this exits.
    while (!existsSync(gate + "/go")) {
      if (!existsSync(gate)) process.exit(1);
      await new Promise((r) => setTimeout(r, 2));
    }
    const got = stageFile(from, dir, "node", 0o755);
    process.stdout.write(createHash("sha256").update(readFileSync(got)).digest("hex"));
  `;
  const args = ["--input-type=module", "-e", script, from, dir, gate, String(n)];
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "node"), args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out })));
}

/** Resolves once `dir` holds `count` files named `ready.*`. */
async function allReady(dir: string, count: number): Promise<void> {
  while (readdirSync(dir).filter((f) => f.startsWith("ready.")).length < count) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("staging a reachable Node for the engine user (scripts/engine-user-reach)", () => {
  it("hands every one of 4 workers staging at once the whole file, never one another is still writing", async () => {
    const from = bigSource();
    const want = sha(from);
    const dir = freshDir(tmpdir());
    const gate = freshDir(tmpdir());
    const running = Array.from({ length: 4 }, (_, n) => stageInChild(from, dir, gate, n));
    try {
      await allReady(gate, 4);
    } finally {
      writeFileSync(path.join(gate, "go"), ""); // all at once; and on a failure above, none left waiting
    }
    const results = await Promise.all(running);
    expect(results).toEqual(results.map(() => ({ code: 0, out: want })));
    // Only the staged file remains: no worker's temporary copy is left behind.
    expect(sha(path.join(dir, "node"))).toBe(want);
    expect(statSync(path.join(dir, "node")).mode & 0o777).toBe(0o755);
  });

  it("restages a partial file (what a worker that is still copying, or died copying, leaves) instead of using it", () => {
    const from = bigSource();
    const dir = freshDir(tmpdir());
    const partial = path.join(dir, "node");
    writeFileSync(partial, readFileSync(from));
    truncateSync(partial, 4096);
    const got = stageFile(from, dir, "node", 0o755);
    expect(got).toBe(partial);
    expect(sha(got)).toBe(sha(from));
  });

  it("refuses a staging dir someone else can write, rather than run or chmod what it holds", () => {
    const dir = path.join(freshDir(tmpdir()), "shared");
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777); // mkdir applied the umask: make it world-writable, as a dir another user planted may be
    expect(() => stagingDir(dir)).toThrow(/only we can write/);
  });
});
