/**
 * @module agent/orphans
 * Engines an earlier agent process left running. A SIGKILLed agent cannot stop its engines: each has its own process
 * group (agent/engine-runner), which outlives the agent under init and keeps working — and spending — in its
 * workspace. A job the coordinator leases here again is handled by its seat (SeatRunner stops the old engine before
 * rebuilding the workspace); every other job record names a job that is no longer this host's, so after each
 * `welcome` its recorded engine is stopped and the record dropped. Safe against pid reuse: agent/engine-runner
 * `killOrphanEngine` signals a pid only while its cwd is still that job's workspace (Linux; elsewhere nothing is
 * killed).
 */
import { killOrphanEngine } from "./engine-runner.ts";
import type { Output } from "./output.ts";
import type { JobRecords } from "./state.ts";
import { jobDir } from "./workspace.ts";

/**
 * Stop the engine of, and forget, every recorded job for which `ours(jobId)` is false (not leased here, no seat
 * running it); each engine stopped is told to the operator (`engine.reaped`). Returns what was stopped.
 */
export function reapOrphans(
  records: JobRecords,
  workDir: string,
  ours: (jobId: string) => boolean,
  out: Pick<Output, "say">,
): Array<{ jobId: string; pid: number }> {
  const stopped: Array<{ jobId: string; pid: number }> = [];
  for (const r of records.list()) {
    if (ours(r.jobId)) continue;
    if (r.enginePid !== undefined && killOrphanEngine(r.enginePid, jobDir(workDir, r.jobId))) {
      stopped.push({ jobId: r.jobId, pid: r.enginePid });
      const text = `${r.jobId} stopped engine ${r.enginePid} left running by an earlier agent process`;
      out.say("·", "engine.reaped", text, { jobId: r.jobId, pid: r.enginePid });
    }
    records.remove(r.jobId);
  }
  return stopped;
}
