// Stopping a process tree (scripts/process-tree): real processes, no fixed delays — a zombie counts as dead, a
// tree that honours the signal stops within its grace, and a child and grandchild that ignore SIGTERM are
// SIGKILLed once the grace period is over. Stopping the children a script spawned leaves the pid of one that has
// already exited alone (`npm start`'s finished enrollments): pids are reused, and it may be anyone's by then.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { descendants, isRunning, stopChildren, stopTree, waitGone } from "../../scripts/process-tree.ts";

/** Spawns `script` (node -e); resolves with its pid once it printed `ready <pids…>`, and those pids. */
async function start(script: string): Promise<{ pid: number; others: number[] }> {
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  const others = await new Promise<number[]>((resolve) =>
    child.stdout.on("data", (d: string) => {
      out += d;
      const m = /ready([\d ]*)\n/.exec(out);
      if (m) resolve((m[1] ?? "").trim().split(" ").filter(Boolean).map(Number));
    }),
  );
  return { pid: child.pid as number, others };
}

const IGNORE_TERM_WITH_GRANDCHILD = `process.on('SIGTERM', () => {});
  const g = require('child_process').spawn(process.execPath, ['-e', 'process.on("SIGTERM",()=>{}); setInterval(()=>{}, 1000)'], { stdio: 'ignore' });
  console.log('ready ' + g.pid); setInterval(() => {}, 1000);`;

describe.skipIf(process.platform !== "linux")("process trees", () => {
  it("counts a zombie as not running, though kill(pid, 0) still succeeds on it", async () => {
    // sh starts a short sleep, then execs into a long one, which never reaps it: a zombie once it exits.
    const sh = spawn("sh", ["-c", "sleep 0.2 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    const zombie = Number(await new Promise<string>((r) => sh.stdout.once("data", (d) => r(String(d)))));
    expect(await waitGone([zombie], 5_000)).toBe(true);
    expect(() => process.kill(zombie, 0)).not.toThrow(); // the pid still exists…
    expect(isRunning(zombie)).toBe(false); // …but the process has exited
    sh.kill("SIGKILL");
  });

  it("stops a tree that honours SIGTERM within the grace period", async () => {
    const { pid, others } = await start(
      "const g = require('child_process').spawn(process.execPath, ['-e', 'setInterval(()=>{}, 1000)'], { stdio: 'ignore' }); process.on('SIGTERM', () => { g.kill('SIGTERM'); process.exit(0); }); console.log('ready ' + g.pid); setInterval(() => {}, 1000);",
    );
    expect(descendants(pid)).toEqual(others);
    expect(await stopTree(pid, "SIGTERM", 10_000)).toBe(true);
    expect([pid, ...others].filter(isRunning)).toEqual([]);
  });

  it("SIGKILLs a child and a grandchild that ignore SIGTERM once the grace period is over", async () => {
    const { pid, others } = await start(IGNORE_TERM_WITH_GRANDCHILD);
    expect(await stopTree(pid, "SIGTERM", 300)).toBe(false); // false: the grace did not suffice, SIGKILL did
    expect([pid, ...others].filter(isRunning)).toEqual([]);
  });

  it("stopChildren stops the children still running and never signals the pid of one that has exited", async () => {
    // A stranger holding the pid an exited child had (reused): a process of this test, so it can be checked.
    const stranger = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const exited = { pid: stranger.pid, exitCode: 0, signalCode: null };
    const running = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      await stopChildren([exited, running], "SIGTERM", 10_000);
      expect({ running: isRunning(running.pid as number), stranger: isRunning(stranger.pid as number) }).toEqual({
        running: false,
        stranger: true,
      });
    } finally {
      for (const c of [stranger, running]) if (isRunning(c.pid as number)) c.kill("SIGKILL");
      await waitGone([stranger.pid as number, running.pid as number], 5_000);
    }
  });
});
