// What a sandboxed engine starts dies with it, marked or not. The run's mark (agent/engine-strays) finds a daemon
// that left the engine's process group, but not one started with `env -i`, nor one that set its title over its
// environment (redis, postgres, nginx, perl's `$0 =`). In the sandbox (agent/sandbox: bwrap, its own PID namespace)
// none is needed: when the engine exits, bwrap's init goes and the kernel kills all that is left in the namespace.
// Needs a working bwrap (skipped without one). The daemon is found by a unique word in its argv, and killed by this
// test if it outlives the engine.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning, waitGone } from "../../scripts/process-tree.ts";
import { startEngine } from "../../src/agent/engine-runner.ts";
import { detectSandbox, sandboxedArgv } from "../../src/agent/sandbox.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-sandbox-strays-"));
const state = path.join(dir, "state");
mkdirSync(state);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const box = process.platform === "linux" ? detectSandbox(state, path.join(state, "config.json")) : undefined;

/** Host pids of the live processes whose command line holds `word`. */
function withWord(word: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(word) && isRunning(Number(name))) out.push(+name);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

describe.runIf(box !== undefined)("a sandboxed engine's daemon", () => {
  it("dies with the engine though it carries no mark (env -i, its own session)", async () => {
    const word = `gf-unmarked-daemon-${process.pid}`;
    const ready = path.join(dir, "ready");
    const body = `require('fs').writeFileSync('${ready}', '1'); setInterval(() => {}, 1000)`;
    const daemon = `env -i setsid ${process.execPath} -e "${body}" ${word} </dev/null >/dev/null 2>&1 &`;
    // The engine waits until its daemon runs, then exits.
    const script = `${daemon} while [ ! -s ${ready} ]; do sleep 0.05; done; echo started`;
    const eng = startEngine({
      argv: sandboxedArgv(["sh", "-c", script], box as NonNullable<typeof box>),
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdin: "",
      wallSeconds: 15, // a daemon that never starts leaves no engine waiting for ever
      onLine: () => {},
    });
    const exit = await eng.exited;
    const left = withWord(word);
    try {
      expect(exit.rc).toBe(0);
      expect(exit.strays).toBeUndefined(); // no mark: the runner found nothing to kill
      expect(await waitGone(left, 5_000)).toBe(true);
      expect(withWord(word)).toEqual([]);
    } finally {
      for (const pid of withWord(word)) process.kill(pid, "SIGKILL");
    }
  });
});
