/**
 * @module agent/orphans
 * Engines an earlier agent process left running. A SIGKILLed agent cannot stop its engines: each has its own process
 * group (agent/engine-runner), which outlives the agent under init and keeps working — and spending — in its
 * workspace. A job the coordinator leases here again is handled by its seat (SeatRunner stops the old engine before
 * rebuilding the workspace); every other job record names a job that is no longer this host's, so after each
 * `welcome` its recorded engine is stopped and the record dropped. Safe against pid reuse: agent/engine-runner
 * `killOrphanEngine` signals a pid only while its cwd is still that job's workspace (Linux; elsewhere nothing is
 * killed).
 *
 * A lease the coordinator took by force while this agent was down keeps the job's serial key held until the old run
 * says it stopped (core/serial-holds), up to an hour: so each run whose engine is known dead — stopped here and gone,
 * gone already, or finished (a report recorded) — is passed to `stopped` (agent/unrun-leases), and only then.
 *
 * Then, with `leftovers` given, what such a run left on disk (workspace, job text, log: agent/job-leftovers) goes
 * too — under the same proof that its engine is gone, and only while the job is still not this host's.
 */
import { killOrphanEngine } from "./engine-runner.ts";
import { emptyTrash, type LeftoverPlaces, removeJobLeftovers } from "./job-leftovers.ts";
import type { Output } from "./output.ts";
import type { JobRecords } from "./state.ts";
import type { LeaseRef } from "./unrun-leases.ts";
import { jobDir } from "./workspace.ts";

/** 5 s: how long a SIGKILLed engine's process group may take to be gone before its run is not said stopped. */
const DEATH_WAIT_MS = 5_000;

/**
 * Stop the engine of, and forget, every recorded job for which `ours(jobId)` is false (not leased here, no seat
 * running it); each engine stopped is told to the operator (`engine.reaped`). `stopped(lease)` is called for each
 * such run once nothing of its engine runs (at once, or after the SIGKILL took effect; never for a run whose engine
 * may still run, or that ended normally). `leftovers` (undefined: `--keep-workspaces`, nothing removed): where each
 * such run's files are, removed once its engine is gone and `ours` is still false. Returns the engines stopped.
 */
export function reapOrphans(
  records: JobRecords,
  workDir: string,
  ours: (jobId: string) => boolean,
  out: Pick<Output, "say">,
  stopped: (lease: LeaseRef) => void = () => undefined,
  leftovers?: LeftoverPlaces,
): Array<{ jobId: string; pid: number }> {
  const killed: Array<{ jobId: string; pid: number }> = [];
  if (leftovers) emptyTrash(leftovers);
  for (const r of records.list()) {
    if (ours(r.jobId)) continue;
    const lease = { jobId: r.jobId, leaseEpoch: r.leaseEpoch };
    // Nothing of its engine runs: its files can go (not once the job is this host's again, in a new seat).
    const gone = () => {
      if (leftovers && !ours(r.jobId)) removeJobLeftovers(leftovers, r.jobId, r.attempt);
    };
    if (r.enginePid !== undefined && killOrphanEngine(r.enginePid, jobDir(workDir, r.jobId))) {
      killed.push({ jobId: r.jobId, pid: r.enginePid });
      const text = `${r.jobId} stopped engine ${r.enginePid} left running by an earlier agent process`;
      out.say("·", "engine.reaped", text, { jobId: r.jobId, pid: r.enginePid });
      void groupGone(r.enginePid, DEATH_WAIT_MS).then((dead) => {
        if (!dead) return;
        stopped(lease);
        gone();
      });
    } else if (r.ended !== undefined) {
      gone(); // a normal end: its seat cleaned up, unless it was cut short after the report was acknowledged
    } else if (
      r.enginePid !== undefined ? groupExited(r.enginePid) : r.report !== undefined || r.engineExit !== undefined
    ) {
      // No record without a pid (the engine may have started after the record, before its pid was written), unless
      // it holds the engine's end (a report, or the exit of an engine that never got a pid: a spawn error).
      stopped(lease);
      gone();
    }
    records.remove(r.jobId);
  }
  return killed;
}

/** Whether no process of the group `pgid` leads exists (an engine's group: agent/engine-runner). Never throws. */
function groupExited(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH"; // EPERM: it exists, as another user's
  }
}

/** Resolves true once the group `pgid` has no process, false if it still has one after `ms`. Polls every 50 ms. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!groupExited(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
