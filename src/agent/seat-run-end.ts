/**
 * @module agent/seat-run-end
 * How a seat's run ends once its engine has exited: the final checkpoint, the diff and the log uploaded, the report
 * (agent/seat-endings `finish`) — and the same from the job record when the agent restarted after the engine exited
 * (agent/engine-exit), so the engine is not run, and paid for, twice. The WIP checkpointer and the job log a run
 * opens, and what its progress frames carry, live here too: this end uses them as the run does. And how the agent's
 * exit (a fatal close, another stop signal) stops a seat: a run already reporting is kept for the restart to report
 * (`stopForExit`), not discarded and run again elsewhere — unless the close ended the lease (`giveUpForExit`).
 *
 * Between agent/seat-endings (how a job ends) and agent/seat-runner (the run's phases up to the engine's exit).
 */
import path from "node:path";
import { publishRun, uploadRunArtifacts } from "./artifacts.ts";
import { type EngineExit, notCaptured, type Outcome, workspaceLeft } from "./engine-exit.ts";
import { reportInsights, type Usage } from "./insights.ts";
import { JobLog } from "./job-log.ts";
import { keptDir } from "./kept-workspaces.ts";
import { INTERRUPTED, type OwnStop } from "./lease-notices.ts";
import { SeatEndings } from "./seat-endings.ts";
import { givenUpLine, keptLine } from "./seat-stop-lines.ts";
import type { JobRecord, StoredReport } from "./state.ts";
import { type CheckpointBody, WipCheckpointer } from "./wip-checkpointer.ts";
import type { Workspace } from "./workspace.ts";

export abstract class SeatRunEnd extends SeatEndings {
  /** Not listed in a reconnect's `welcome` while its report was out: the coordinator has freed the seat already. */
  private freed = false;

  /**
   * A reconnect's `welcome` does not list this lease: abandon it — unless its report is out, which may have landed
   * just before the socket dropped (ending the lease). Then that report goes again on the new socket (agent/report
   * `deliverFrame`), and its answer says how the job ended: acknowledged, or fenced with the job's stage (its spend
   * charged all the same: policies/late-spend). Abandoning said "lease lost — engine stopped, work discarded" of a run
   * that had finished and reported, and kept the answer to its report (when it was sent again at all) from the operator.
   */
  unlisted(): void {
    if (!this.reportOut) {
      this.abandon("the coordinator no longer leases it to this factory", false);
      return;
    }
    this.freed = true;
    this.lease.stopRenewals(); // of a lease no longer ours: a `fenced` renewal would abandon the report's delivery
    this.note("the coordinator no longer leases the job here: sending the report again, its answer says how it ended");
  }

  /** A report resent after `unlisted` holds no seat: the coordinator pushes the next job at once (`occupiesSeat`). */
  override get occupiesSeat(): boolean {
    return super.occupiesSeat && !this.freed;
  }

  /**
   * Whether this run's engine has exited and its outcome is being reported (final checkpoint, uploads, the report):
   * finished, paid-for work that an exit must not discard (`stopForExit`). Not a run whose engine a drain stopped.
   */
  get reporting(): boolean {
    return (this.exitRecorded || this.reportOut) && this.lost === undefined && !this.settled;
  }

  /**
   * The agent is exiting (`reason`, said as `said`): a run still running is abandoned (its engine stopped as for a
   * cancel when `cancelled`); one `reporting` is kept for the
   * restart — its job record and workspace stay, nothing says the lease ended, and `cleanup` removes nothing — since
   * the next agent on this state dir reports it from them instead of the job running again elsewhere.
   */
  stopForExit(reason: string, said: OwnStop, cancelled = false): void {
    if (!this.reporting) {
      this.abandon(reason, cancelled, said);
      return;
    }
    this.lost = reason;
    this.keptForRestart = true;
    this.stopTimers();
    const line = keptLine(this.jobId, reason, said);
    this.say("✘", line.event, line.text, line.fields);
  }

  /**
   * The agent is exiting (`reason`, said as `said`) and the lease ended with its connection (a factory removed, a token
   * revoked: the job requeued): a run still running is abandoned as by `stopForExit`; one `reporting` is given up too,
   * as no restart can report it — its workspace, job file, log and job record removed (`cleanup`), said so.
   */
  giveUpForExit(reason: string, said: OwnStop): void {
    if (!this.reporting) {
      this.abandon(reason, false, said);
      return;
    }
    this.lost = reason;
    this.givenUp = true;
    this.stopTimers();
    const line = givenUpLine(this.jobId, reason, said);
    this.say("✘", line.event, line.text, line.fields);
  }

  /**
   * The agent is exiting right now: kill the engine outright. A second stop signal's run ends here, said
   * `job.interrupted`, not `job.cancelled`: nothing told the coordinator, which keeps the job leased to this factory
   * until the lease expires (then requeues it); an agent started again here before that resumes it — or, for a run
   * that was `reporting`, reports it. A run a fatal close stopped already (agent/seat-stops) was said then: only its
   * engine is killed.
   */
  forceStop(): void {
    this.stopForExit("the agent is exiting (a second stop signal)", INTERRUPTED, true);
    this.engine?.kill("shutdown");
  }

  /**
   * The agent restarted within the lease after the engine had exited (`exit`, from the job record): finish from
   * there. In the workspace the engine left, as a run does; when it is gone, report the outcome without a final
   * checkpoint or diff (`checkpoint`: the last one acknowledged, which a retry resumes from), the log still uploaded.
   */
  protected async afterRestart(exit: EngineExit, checkpoint: JobRecord["checkpoint"], started: number): Promise<void> {
    const { cfg } = this.ctx;
    this.openLog();
    this.meter.usage = { ...exit.usage }; // the run's, as reported: not `runSpent` added to it again (engine-exit)
    this.note(`agent restarted after the engine exited (${exit.how}): finishing from the job record, not running it`);
    const host = { workDir: cfg.workDir, checkpointRemote: cfg.checkpointRemote, owner: this.ctx.engineUser };
    const ws = workspaceLeft(exit, this.a.job, host);
    if (ws) {
      this.ws = ws;
      const wip = this.checkpointer(ws);
      wip.lastSha = exit.lastSha;
      return this.wrapUp(exit.outcome, ws, wip, started);
    }
    const why = "the workspace was gone when the agent restarted";
    const held = checkpoint
      ? `checkpoint ${checkpoint.sha.slice(0, 12)} holds the last work recorded`
      : "no checkpoint";
    this.say("⚠", "job.work_not_captured", `${this.jobId} work not captured: ${why}`, {
      lastCheckpoint: checkpoint?.sha ?? null,
      keptAt: null,
    });
    this.note(`work not captured: ${why}; ${held}`);
    const report = notCaptured(exit.outcome, why, held);
    return this.finish({ ...report, insights: reportInsights(this.meter.usage), checkpoint }, started);
  }

  /**
   * Every report goes after its run's log: the log's last lines into the feed and the file uploaded as `log.txt`
   * (once: `wrapUp` ships it with the diff). The coordinator refuses progress for a lease the report ended, so the
   * lines sent after it — "could not prepare the workspace: why", the one line saying why the job failed — were lost.
   */
  protected override finish(report: StoredReport, started: number, resent = false): Promise<void> {
    // Not async: a run's usual report (its log shipped by `wrapUp`, or none opened) goes out with no await added.
    if (this.lost || !this.log || this.log.closed) return super.finish(report, started, resent);
    return this.shipLog().then(() => super.finish(report, started, resent));
  }

  /** The open job log closed (its last lines sent) and uploaded as `log.txt`; nothing when none is open. */
  protected async shipLog(): Promise<void> {
    const log = this.log;
    if (!log || log.closed) return;
    await log.close();
    const warn = (t: string) => this.say("⚠", "artifact.failed", `${this.jobId} ${t}`);
    await uploadRunArtifacts(this.ctx.rest, this.jobId, this.leaseEpoch, log.text(), undefined, warn);
  }

  /** After the engine's exit (`outcome`): final checkpoint, diff and log uploaded, the report. */
  protected async wrapUp(outcome: Outcome, ws: Workspace, wip: WipCheckpointer, started: number): Promise<void> {
    const { cfg } = this.ctx;
    await wip.take(true);
    // Every await below may end with the lease gone (a fenced checkpoint, a `cancel`, a newer socket of this
    // factory): look again after each, or a zombie uploads its artifacts and reports for a lease it no longer holds.
    if (this.lost) return this.cleanup();
    let report = outcome;
    if (wip.finalError) {
      const held = wip.lastSha ? `checkpoint ${wip.lastSha.slice(0, 12)}` : "nothing (no checkpoint was made)";
      const why = `the final checkpoint failed (${wip.finalError})`;
      report = notCaptured(report, why, `diff.patch and the checkpoint hold ${held}`);
      // Kept, not discarded, for the operator (agent/kept-workspaces): said here too, while the job log is open.
      const keptAt = cfg.keepWorkspaces ? ws.dir : keptDir(cfg.workDir, this.jobId, this.leaseEpoch);
      const text = `${this.jobId} work not captured: the final checkpoint failed: ${wip.finalError}`;
      this.say("⚠", "job.work_not_captured", `${text}; the workspace is kept at ${keptAt}`, {
        lastCheckpoint: wip.lastSha ?? null,
        keptAt,
      });
      this.note(`work not captured: the workspace with it is kept at ${keptAt} on this host`);
    }
    const warn = (t: string) => this.say("⚠", "artifact.failed", `${this.jobId} ${t}`);
    const diffStat = await publishRun(this.ctx.rest, this.ref(), ws, wip.lastSha ?? ws.base, this.log as JobLog, warn);
    // Lost while uploading: report nothing. (Not `releasing`, here or above: a drain that timed out after the engine's
    // exit still gets the report, the run has its outcome, and giving it back would run the job again.)
    if (this.lost) return this.cleanup();
    const insights = reportInsights(this.meter.usage, diffStat);
    return this.finish({ ...report, insights, checkpoint: wip.current }, started);
  }

  /** The job log, in the state dir, not the work dir: the engine's user may write there, and the agent writes logs. */
  protected openLog(): void {
    const file = path.join(this.ctx.cfg.stateDir, "logs", `${this.jobId}-a${this.a.job.attempt}.log`);
    this.log = new JobLog(file, (logs) => {
      if (!this.lost) void this.lease.send({ type: "progress", ...this.ref(), logs, ...this.usageSoFar() });
    });
  }

  /** The WIP checkpointer of `ws` for this run (not started: the engine's start does). */
  protected checkpointer(ws: Workspace): WipCheckpointer {
    this.wip = new WipCheckpointer({
      ws,
      jobId: this.jobId,
      attempt: this.a.job.attempt,
      announce: (checkpoint) => this.announce(checkpoint),
      note: (t) => this.note(t),
      stopped: () => this.lost !== undefined,
      warn: (event, text) => this.say("⚠", event, `${this.jobId} ${text}`),
    });
    return this.wip;
  }

  /** Tell the coordinator of a checkpoint; once it acknowledged, this host's record names it (a resume checks it). */
  private async announce(checkpoint: CheckpointBody): Promise<boolean> {
    const ok = await this.lease.send({ type: "progress", ...this.ref(), checkpoint, ...this.usageSoFar() });
    const record = ok && checkpoint.branch && checkpoint.sha ? this.ctx.records.read(this.jobId) : undefined;
    if (record?.leaseEpoch === this.leaseEpoch && checkpoint.branch && checkpoint.sha)
      this.ctx.records.write({ ...record, checkpoint: { branch: checkpoint.branch, sha: checkpoint.sha } });
    return ok;
  }

  /**
   * The engine's cumulative usage so far, for a progress frame: the coordinator accrues the product budget from it
   * as it grows and checks the job budget itself (issue 9). Empty until the engine printed a `gf_insights` line.
   */
  protected usageSoFar(): { insights?: Usage } {
    return Object.keys(this.meter.usage).length > 0 ? { insights: { ...this.meter.usage } } : {};
  }
}
