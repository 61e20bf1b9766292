// An engine's last lines reach the run even when the agent's event loop is held past the stdio bound (2 s) around the
// engine's exit (a loaded host). The bound ran `finish` in the timers phase, which comes before the poll phase that
// reads the pipes, so a loop held that long after the exit was seen ended the run with the last lines unread: the
// final `gf_insights` (the job's cost: spend under-reported) and the last stderr line (the failure's reason) were lost,
// and in the sandbox bwrap's exit status too (the run was said never to have started). The lines are unread when the
// exit is seen because libuv runs its signal watcher after every other event of a poll batch, and any child's SIGCHLD
// (a git of the checkpointer, another seat's engine) reaps every exited child: a batch holding the engine's stdout and
// another child's SIGCHLD, held in between, sees an exit whose last lines came after the batch's read. The order is
// forced, not hoped for: the test holds the loop (in `onLine`, then in its check phase) until each state is there.
// The wall budget's bound, the same kind, no longer stops as `budget_wall` an engine whose exit was merely unread.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type EngineExit, startEngine } from "../../src/agent/engine-runner.ts";
import type { LogStream } from "../../src/agent/log-batcher.ts";
import { detectSandbox, type Sandbox } from "../../src/agent/sandbox.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-last-lines-"));
const stateDir = path.join(dir, "state");
mkdirSync(stateDir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const box =
  process.platform === "linux" ? detectSandbox(stateDir, path.join(stateDir, "config.json"), [dir]) : undefined;

/** STDIO_DRAIN_MS (2 s) and a margin: how long the loop is held once the engine's exit was seen. */
const HOLD_MS = 2_500;
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Hold the loop (synchronously) until `ready()`; false when it never came in 30 s (the test then fails). */
function holdUntil(ready: () => boolean): boolean {
  for (const end = Date.now() + 30_000; Date.now() < end; Atomics.wait(cell, 0, 0, 5)) if (ready()) return true;
  return false;
}

/** `/proc/<pid>/stat`'s state letter ("Z": exited, not reaped yet), or "" when gone. */
function state(pid: number | undefined): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[0] ?? "";
  } catch {
    return "";
  }
}

/** Whether SIGCHLD (17) is pending for this process, not yet taken by libuv's handler. */
function sigchldPending(): boolean {
  const shd = /^ShdPnd:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0";
  return (BigInt(`0x${shd}`) & (1n << 16n)) !== 0n;
}

/**
 * Run an engine whose last lines come while the loop is held as described above: → its exit and the lines the run
 * got. `sandbox`: run it in bwrap, its status fd read as the agent does (agent/sandbox).
 */
async function heldAtExit(
  tag: string,
  sandbox?: Sandbox,
): Promise<{ exit: EngineExit; lines: Array<[LogStream, string]> }> {
  const file = (name: string) => path.join(dir, `${tag}-${name}`);
  const [go1, wroteFirst, go2] = [file("go1"), file("wrote-first"), file("go2")];
  const wait = "const w=(f)=>{while(!fs.existsSync(f))Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,5)};";
  const engine = `const fs=require('fs');${wait}
    process.stdout.write('ready\\n'); w(${JSON.stringify(go1)});
    process.stdout.write('first\\n'); fs.writeFileSync(${JSON.stringify(wroteFirst)}, ''); w(${JSON.stringify(go2)});
    process.stdout.write('gf_insights {"usage":{"costUsd":1.25}}\\n'); process.stderr.write('the reason it failed\\n');
    process.exit(3)`;
  const lines: Array<[LogStream, string]> = [];
  const held: boolean[] = [];
  let other: number | undefined;
  const eng = startEngine({
    argv: [process.execPath, "-e", engine],
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    sandbox,
    stdin: "",
    onLine: (s, t) => {
      lines.push([s, t]);
      if (t === "ready") {
        // Another child exits while the loop is held and the engine writes `first`: the next poll batch holds both the
        // stdout and the signal pipe.
        other = spawn("true", [], { stdio: "ignore" }).pid;
        writeFileSync(go1, "");
        held.push(holdUntil(() => existsSync(wroteFirst) && state(other) === "Z" && !sigchldPending()));
        Atomics.wait(cell, 0, 0, 20); // libuv's handler, run as the signal was taken, has written its pipe
      } else if (t === "first") {
        // The engine writes its last lines and exits while this callback holds the loop: libuv's signal watcher, last
        // in this batch, then sees the exit. The rest of the loop's turn (here its check phase) is held past the bound.
        writeFileSync(go2, "");
        held.push(holdUntil(() => state(eng.pid) === "Z"));
        setImmediate(() => {
          const since = Date.now();
          held.push(holdUntil(() => Date.now() - since >= HOLD_MS));
        });
      }
    },
  });
  const exit = await eng.exited;
  expect(held).toEqual([true, true, true]);
  return { exit, lines };
}

const LAST_LINES: Array<[LogStream, string]> = [
  ["stdout", "ready"],
  ["stdout", "first"],
  ["stdout", 'gf_insights {"usage":{"costUsd":1.25}}'],
  ["stderr", "the reason it failed"],
];

describe.runIf(process.platform === "linux")("an engine's last lines, with the agent's loop held at its exit", () => {
  it("all reach the run: the final gf_insights and the last stderr line", async () => {
    const { exit, lines } = await heldAtExit("plain");
    expect(exit.rc).toBe(3);
    expect(lines).toEqual(LAST_LINES);
  });

  // The wall budget's timer is the same kind: an engine that exited inside its budget, its exit not read yet when the
  // loop came back past the budget, was stopped as `budget_wall` (its run reported as an overrun, not as its exit).
  it("an engine that exited within its wall budget is not stopped for it", async () => {
    const eng = startEngine({
      argv: [process.execPath, "-e", "process.exit(0)"],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdin: "",
      wallSeconds: 1,
      onLine: () => {},
    });
    const since = Date.now();
    expect(holdUntil(() => state(eng.pid) === "Z" && Date.now() - since >= 1_500)).toBe(true);
    const exit = await eng.exited;
    expect(exit.rc).toBe(0);
    expect(exit.stoppedFor).toBeUndefined();
  });

  // bwrap's `{"exit-code": 3}` on its status fd was lost alike: the run was said never to have started.
  it.runIf(box?.status === true)("in the sandbox too, and its exit status: the engine ran, and exited 3", async () => {
    const { exit, lines } = await heldAtExit("boxed", box);
    expect(exit.spawnError).toBeUndefined();
    expect(exit.rc).toBe(3);
    expect(lines).toEqual(LAST_LINES);
  });
});
