// An engine an earlier (SIGKILLed) agent process left running is stopped by the next one (agent/engine-runner
// `killOrphanEngine`) only when it is provably that job's: its cwd was required to BE the workspace. An engine whose
// leader changed directory (`sh -c 'cd app && claude -p'`) was taken for another process: it ran on, spending, while
// the job's workspace was rebuilt under it, and its record was dropped. A cwd under the workspace counts now, as it
// does for a leaderless group (agent/orphan-group); one outside it still does not.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning, waitGone } from "../../scripts/process-tree.ts";
import { killOrphanEngine } from "../../src/agent/engine-runner.ts";

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "gf-orphan-subdir-")));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A detached process (its own group, as an engine is) working in `cwd`: its pid, once its cwd reads so. */
async function leader(cwd: string): Promise<number> {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    cwd,
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  const pid = child.pid as number;
  while (readlinkSync(`/proc/${pid}/cwd`) !== cwd) await new Promise((r) => setTimeout(r, 20));
  return pid;
}

describe.runIf(process.platform === "linux")("an orphaned engine that changed directory", () => {
  it("is stopped when it works under the job's workspace", async () => {
    const ws = path.join(dir, "jobs", "job_a");
    const pid = await leader(path.join(ws, "app", "src"));
    try {
      expect(killOrphanEngine(pid, ws)).toBe(true);
      expect(await waitGone([pid], 5_000)).toBe(true);
    } finally {
      if (isRunning(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("is left alone when it works outside it (a sibling whose name starts the same included)", async () => {
    const ws = path.join(dir, "jobs", "job_b");
    const pid = await leader(path.join(dir, "jobs", "job_b2"));
    try {
      expect(killOrphanEngine(pid, ws)).toBe(false);
      expect(isRunning(pid)).toBe(true);
    } finally {
      process.kill(pid, "SIGKILL");
    }
  });
});
