// A lock file (shared/pid-lock: the agent's `agent.pid`, `npm start`'s, a resumable download's part lock) whose name
// holds a FIFO or a link is stale, not waited on: its name is predictable, and `readFileSync` of a FIFO planted there
// blocked for good — the CLI (or the agent's start) hung before any request. Run in a child process with a bound, so
// a hang fails this test instead of freezing the worker.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const LOCK_MODULE = path.resolve(import.meta.dirname, "../../src/shared/pid-lock.ts");
const dir = mkdtempSync(path.join(tmpdir(), "gf-pid-lock-fifo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** takePidLock(file) in a node process of its own, at most 20 s: whether it took the lock. */
function takeInChild(file: string): { ok: boolean } {
  const script = `import { takePidLock } from ${JSON.stringify(LOCK_MODULE)};
const r = takePidLock(${JSON.stringify(file)}, () => true);
process.stdout.write(JSON.stringify({ ok: r.ok }));
process.exit(0);`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000, encoding: "utf8" });
  expect(run.signal, `the lock was waited on (stderr: ${run.stderr})`).toBeNull();
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { ok: boolean };
}

describe("a pid lock whose name an intruder holds", () => {
  it("takes over a FIFO at the lock's name instead of blocking on it", () => {
    const file = path.join(dir, "fifo.lock");
    execFileSync("mkfifo", [file]);
    expect(takeInChild(file).ok).toBe(true);
  });

  it("takes over a link at the lock's name without reading or writing its target", () => {
    const target = path.join(dir, "victim");
    writeFileSync(target, `${process.pid}\n1\nowner\n`); // would name a live owner if it were read through the link
    const file = path.join(dir, "link.lock");
    symlinkSync(target, file);
    expect(takeInChild(file).ok).toBe(true);
    expect(readFileSync(target, "utf8")).toBe(`${process.pid}\n1\nowner\n`);
  });
});
