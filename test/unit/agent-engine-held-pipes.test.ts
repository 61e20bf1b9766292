// An engine that exits leaving a process that holds its stdout and that neither its group's SIGKILL nor the run's
// mark reaches (`env -i setsid …`: its own session, no environment): the run ends STDIO_DRAIN_MS after the exit, but
// the agent kept the pipes open — the process wrote on into a run that had ended (lines reaching `onLine` after
// `exited`), never met EPIPE, and the agent kept two fds per such engine for as long as it ran. The pipes are now
// closed when the run ends: nothing reaches `onLine` after it, and the writer dies at its next write.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning, waitGone } from "../../scripts/process-tree.ts";
import { startEngine } from "../../src/agent/engine-runner.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-pipes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(process.platform === "linux")("an engine's pipes, held by what it left running", () => {
  it("are closed when the run ends: no line after `exited`, and the writer meets EPIPE", async () => {
    const pidFile = path.join(dir, "writer.pid");
    // Node's own stdout EPIPE ends it (an unhandled 'error'), as SIGPIPE ends a C program.
    const writer = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
      setInterval(() => process.stdout.write('still here\\n'), 50)`;
    const lines: string[] = [];
    let ended = false;
    const eng = startEngine({
      argv: ["env", "-i", "setsid", process.execPath, "-e", writer],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdin: "",
      onLine: (_s, t) => lines.push(ended ? `after: ${t}` : t),
    });
    // `setsid` forks when it leads its group already (the runner makes the engine a group leader): the engine exits
    // at once, its child lives on.
    const exit = await eng.exited;
    ended = true;
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8") === "") await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      expect(exit.rc).toBe(0);
      expect(exit.strays).toBeUndefined(); // out of the mark's reach: the closed pipe is what stops it
      expect(await waitGone([pid], 5_000)).toBe(true);
      expect(lines.filter((l) => l.startsWith("after: "))).toEqual([]);
    } finally {
      if (isRunning(pid)) process.kill(pid, "SIGKILL");
    }
  });
});
