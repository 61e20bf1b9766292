// What a run left on disk when its agent was killed (kill -9, a crash) and restarted after the lease was gone — its
// workspace, the job text beside it, its lessons file, its job log — is removed after `welcome`, once nothing of its
// engine runs (a live one left in the workspace is stopped first); never while an engine that is not provably gone
// may use it, nor with --keep-workspaces. Real processes, real directories.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { trashDir } from "../../src/agent/job-leftovers.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import { fakeSupervisor, straySleeper, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** The files a run of `jobId` (attempt 1) leaves: its workspace (with a file), job text, lessons file and log. */
function leftFiles(agent: ReturnType<typeof tempAgent>, jobId: string): string[] {
  const ws = jobDir(agent.cfg.workDir, jobId);
  mkdirSync(path.join(ws, "src"), { recursive: true });
  writeFileSync(path.join(ws, "src", "work.txt"), "the engine's work\n");
  const logs = path.join(agent.cfg.stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  const files = [`${ws}.job.md`, `${ws}.lessons.md`, path.join(logs, `${jobId}-a1.log`)];
  for (const f of files) writeFileSync(f, "x\n");
  return [ws, ...files];
}

const gone = (files: string[]) => files.every((f) => !existsSync(f));

describe.runIf(process.platform === "linux")("a run an agent killed mid-job left behind", () => {
  it("is removed after welcome once its engine is stopped: workspace, job text, lessons, log", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    let orphan: number | undefined;
    try {
      const { conn, records, stop } = fakeSupervisor(agent);
      const files = leftFiles(agent, "job_crashed");
      orphan = straySleeper(jobDir(agent.cfg.workDir, "job_crashed")); // its engine, still running in it
      records.write({ jobId: "job_crashed", leaseEpoch: 3, attempt: 1, startedAt: Date.now(), enginePid: orphan });
      conn.welcome([]); // the lease is no longer this host's
      await until("the leftovers removed", () => gone(files));
      expect(isRunning(orphan)).toBe(false);
      await until("the trash emptied", () => readdirSync(trashDir(agent.cfg.workDir)).length === 0);
      await stop();
    } finally {
      if (orphan !== undefined && isRunning(orphan)) process.kill(-orphan, "SIGKILL");
      agent.remove();
    }
  });

  it("is kept while an engine that may be its own still runs, and always with --keep-workspaces", async () => {
    for (const keepWorkspaces of [false, true]) {
      const agent = tempAgent(rest.url, { drainTimeoutMs: 100, keepWorkspaces });
      let stray: number | undefined;
      try {
        const { conn, records, stop } = fakeSupervisor(agent);
        const files = leftFiles(agent, "job_kept");
        const base = { leaseEpoch: 2, attempt: 1, startedAt: Date.now() };
        // No pid on record: its engine may have started before the pid was written. Kept (unless --keep says so).
        const noPid = keepWorkspaces ? leftFiles(agent, "job_done") : leftFiles(agent, "job_nopid");
        if (keepWorkspaces) records.write({ jobId: "job_done", ...base, ended: Date.now() });
        else records.write({ jobId: "job_nopid", ...base });
        // A live group not in the workspace (a reused pid?): not stopped, so its files are not touched either.
        stray = straySleeper(path.join(agent.dir, "elsewhere"));
        records.write({ jobId: "job_kept", ...base, enginePid: stray });
        conn.welcome([]);
        await until("the records dropped", () => records.list().length === 0);
        await stop(); // every removal this welcome started has been started: a rename is synchronous
        expect(files.filter((f) => existsSync(f))).toEqual(files);
        expect(noPid.filter((f) => existsSync(f))).toEqual(noPid);
      } finally {
        if (stray !== undefined && isRunning(stray)) process.kill(-stray, "SIGKILL");
        agent.remove();
      }
    }
  });
});
