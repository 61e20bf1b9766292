// An engine run as another user (the agent root) gets its own PID namespace too: a process it starts that leaves its
// process group (`setsid`, a daemonising tool) dies when the engine is stopped, instead of running — and spending — on
// after a cancel, a lost lease or the agent's exit. Real processes as `nobody`, in real bubblewrap.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findOnPath, hostPathLookup } from "../../src/agent/capabilities.ts";
import { startEngine } from "../../src/agent/engine-runner.ts";
import { lookupUser } from "../../src/agent/engine-user.ts";
import { engineSandbox, sandboxedArgv } from "../../src/agent/sandbox.ts";
import { until } from "./agent-fakes.ts";

const canRun = process.getuid?.() === 0 && process.platform === "linux" && !!findOnPath("bwrap", hostPathLookup());

/** Pids of processes whose command line is exactly `argv` (read from /proc). */
function pidsRunning(argv: string[]): number[] {
  const want = `${argv.join("\0")}\0`;
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8") === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.runIf(canRun)("an engine run as another user", { timeout: 30_000 }, () => {
  it("takes a process that left its group down with it when stopped", async () => {
    const nobody = lookupUser("nobody");
    expect(nobody).toBeDefined();
    const cwd = mkdtempSync(path.join(tmpdir(), "gf-pidns-"));
    chmodSync(cwd, 0o755);
    const marker = ["sleep", `${3000 + (process.pid % 997)}`]; // this run's own, not another test's
    try {
      const box = engineSandbox(path.join(cwd, "state"), path.join(cwd, "config.json"), nobody);
      const argv = ["sh", "-c", `setsid ${marker.join(" ")} & sleep 60`];
      const engine = startEngine({
        argv: box ? sandboxedArgv(argv, box) : argv,
        as: nobody,
        cwd,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        stdin: "",
        onLine: () => undefined,
      });
      await until("the escaped process started", () => pidsRunning(marker).length > 0);
      engine.stop("lease_lost", 200);
      const exit = await engine.exited;
      expect(exit.stoppedFor).toBe("lease_lost");
      await until("no process of the engine left", () => pidsRunning(marker).length === 0, 5_000);
    } finally {
      for (const pid of pidsRunning(marker)) process.kill(pid, "SIGKILL");
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
