// `npm start` whose terminal went away — the window closed, the SSH session dropped: SIGHUP, and every later write to
// the terminal fails — still stops in order: the agents drain, then the coordinator stops, and it exits 0 ("✔
// stopped"), leaving no process behind. Its first line of the stop ("… stopping") used to fail with EPIPE/EIO as an
// unhandled 'error' event: start.ts died at once (exit 1), and its coordinator stopped under agents still releasing
// their jobs. Here the terminal is the start's stdout and stderr pipes, closed by this test before the SIGHUP.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { descendants, isRunning, stopTree } from "../../scripts/process-tree.ts";
import { freePort } from "./harness.ts";
import { captured } from "./spawn-cleanup.ts";

const started: ChildProcess[] = [];
const dirs: string[] = [];
/** Every process the start spawned, so that a failing test still leaves nothing behind. */
const seen = new Set<number>();
afterAll(async () => {
  for (const c of started)
    if (c.exitCode === null && c.signalCode === null && c.pid) await stopTree(c.pid, "SIGTERM", 20_000);
  for (const pid of seen) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const commandOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};

describe("npm start after its terminal went away", () => {
  it("SIGHUP with stdout and stderr unreadable: the stop runs to its end, exit 0, nothing left", async () => {
    const state = mkdtempSync(path.join(tmpdir(), "gf-lost-terminal-"));
    dirs.push(state);
    chmodSync(state, 0o755);
    const port = await freePort();
    // start.ts itself, as npm `exec`s it: SIGHUP reaches it directly, as a closing terminal's does.
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "node"), ["scripts/start.ts"], {
      cwd: ROOT,
      // 1 s sample jobs (the demo's 4 by default): the stop drains its agents' jobs sooner; nothing here times one.
      env: toolEnv({
        PORT: String(port),
        GIGAFACTORY_ADMIN_TOKEN: `lost-${port}`,
        GIGAFACTORY_LOCAL_STATE: state,
        GF_SAMPLE_SECONDS: "1",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(child);
    const { exited, log: output } = captured(child);
    const record = () => {
      for (const pid of descendants(child.pid ?? 0)) seen.add(pid);
    };
    await until(
      "the demo to run",
      () => {
        record();
        return output().includes("Ctrl-C stops everything");
      },
      240_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
    record();
    // Two agents: the live ones not under another agent. A child an agent forks (git, its engine) shows the agent's
    // command line until its exec, and one read "3, expected 2" in a fresh-clone run (pass 30) — the kind the demo
    // test met in pass 29: asked again until the process table holds still (a state, not a delay).
    const topAgents = () => {
      const agents = descendants(child.pid ?? 0).filter((pid) => commandOf(pid).includes("gigafactory-agent.mjs run"));
      return agents.filter((pid) => !agents.some((agent) => descendants(agent).includes(pid)));
    };
    await expect.poll(() => topAgents().length, { timeout: 15_000, message: output() }).toBe(2);
    record();

    child.stdout?.destroy();
    child.stderr?.destroy();
    child.kill("SIGHUP");
    expect(await exited, output()).toBe(0);
    // A state, not a time: the stop ended with its agents and runtime gone (their last exit may trail start.ts's).
    await until("every process the start started to go", () => ![...seen].some(isRunning), 30_000).catch(() => {});
    expect([...seen].filter(isRunning).map((pid) => `${pid} ${commandOf(pid)}`)).toEqual([]);
  });
});
