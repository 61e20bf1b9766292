/**
 * @module agent/seat-endings
 * How one seat's job ends, and the state that decides which way. Three ways out, each ending in `cleanup`: `finish`
 * (report, then the done record — `ended` last, only after the coordinator acknowledged), `giveBack` (drain timeout,
 * or this host cannot run the job: checkpoint, give the job back) and `abandon` (cancel pushed, or the lease was lost:
 * stop the engine within 2 s, discard the work; once it exited, report the spend no answered frame carried, then
 * `stopped`). `cleanup` discards the workspace, but keeps one whose final checkpoint failed (agent/kept-workspaces).
 * Also the supervisor's controls of a seat: `abandon`, `release`, `leaseTtlChanged`, `occupiesSeat` (those for the
 * agent's exit, `forceStop`, `stopForExit` and `giveUpForExit`, are agent/seat-run-end's: they keep a run that is
 * reporting, unless the lease ended).
 * The base of SeatRunner (agent/seat-runner: the run's phases), not a part of it: they share the fields a part would
 * expose or forward. agent/seat-run-end ships the job log before every report (`finish`).
 */
import { rmSync } from "node:fs";
import { truncateUtf8 } from "../core/bytes.ts";
import type { Assignment, CancelNotice } from "../shared/protocol.ts";
import { CANCEL_GRACE_MS, type EngineProcess } from "./engine-runner.ts";
import { runMeter, type UsageMeter } from "./insights.ts";
import type { JobLog } from "./job-log.ts";
import { keepForOperator } from "./kept-workspaces.ts";
import { readCancel } from "./lease-notices.ts";
import { lessonsFileFor } from "./lessons-file.ts";
import { formatDuration, type Mark } from "./output.ts";
import { givenBackLine, outcomeLine, reportAndRecord } from "./report.ts";
import type { SeatContext } from "./seat-context.ts";
import { SeatLease } from "./seat-lease.ts";
import { abandonedLine, type StopSaid } from "./seat-stop-lines.ts";
import type { StoredReport } from "./state.ts";
import type { WipCheckpointer } from "./wip-checkpointer.ts";
import { discardWorkspace, jobDir, type Workspace } from "./workspace.ts";

export type { SeatContext } from "./seat-context.ts";

export abstract class SeatEndings {
  readonly jobId: string;
  readonly leaseEpoch: number;
  /** The run, start to end (SeatRunner): resolves once the job has ended and been cleaned up (never rejects). */
  abstract readonly finished: Promise<void>;
  protected readonly ctx: SeatContext;
  protected readonly a: Assignment;
  protected readonly resumed: boolean;
  protected readonly lease: SeatLease;
  protected engine: EngineProcess | undefined;
  protected ws: Workspace | undefined;
  protected wip: WipCheckpointer | undefined;
  protected log: JobLog | undefined;
  protected lost: string | undefined;
  protected releasing: string | undefined;
  /** The coordinator has the outcome (report acknowledged, or job given back): nothing left to abandon. */
  protected settled = false;
  /** The engine has exited (or had before a restart): what is left is to report it, which a fenced answer ends. */
  protected engineDone = false;
  /** The report is out (being delivered): only its answer, acknowledged or fenced, ends the run (agent/seat-run-end). */
  protected reportOut = false;
  /** The engine's exit is in the job record (agent/engine-exit): a restart on this state dir finishes from it. */
  protected exitRecorded = false;
  /** Stopped by the agent's exit while `reporting`: its record and workspace are left for the restart (`stopForExit`). */
  protected keptForRestart = false;
  /** Given up while `reporting`, its lease ended (`giveUpForExit`): its job record goes too, as no restart reports it. */
  protected givenUp = false;
  protected readonly meter: UsageMeter;

  constructor(ctx: SeatContext, assignment: Assignment, resumed: boolean) {
    this.ctx = ctx;
    this.a = assignment;
    this.resumed = resumed;
    this.jobId = assignment.job.id;
    this.leaseEpoch = assignment.leaseEpoch;
    this.meter = runMeter(assignment, resumed); // the job's allowance, and a resumed lease's earlier spend too
    this.lease = new SeatLease({
      conn: ctx.conn,
      jobId: this.jobId,
      leaseEpoch: this.leaseEpoch,
      wantedTtl: ctx.cfg.leaseTtlSeconds,
      grantedTtl: assignment.ttlSeconds,
      lost: (reason) => this.abandon(reason, false),
      // No renewal answered past the lease's expiry and a grace: once the engine has exited only the report is left.
      lapsed: (why) => (this.engineDone ? this.note(`${why}; reporting the engine's exit`) : this.abandon(why, false)),
      graceMs: ctx.lapseGraceMs,
      gaveUp: () => this.lost !== undefined,
      note: (t) => this.note(t),
    });
  }

  /**
   * Whether this seat still counts against the host's capacity. Once the coordinator has the outcome (report
   * acknowledged, job given back) or no longer leases the job here (a `cancel`: it took the lease, epoch + 1; or the
   * lease is lost: fenced, expired while the agent was stopped, not listed in `welcome`), it has freed the seat on
   * its side and pushes the next job at once — a reconnect after a lost lease brings them all in one burst. The
   * worktree cleanup, or the engine's 2 s to stop, still running here must not refuse that push: refusing bounced
   * every job pushed on that reconnect ("no free seat"), each a paid round trip and a requeue.
   *
   * The trade-off: for up to CANCEL_GRACE_MS (2 s, then SIGKILL to its process group; agent/engine-runner) the
   * stopping engine runs beside the one that took its seat. The seat does not wait for the `stopped` frame (only the
   * job's serial key does: core/serial-holds): a lost frame would leave it idle, and a brief overlap of a stopping
   * engine and a starting one of another key is the lesser cost. The stopping engine is still awaited and its workspace
   * discarded by this run (`cleanup`), only no longer counted.
   */
  get occupiesSeat(): boolean {
    return !this.settled && this.lost === undefined;
  }

  /** The coordinator's `cancel` for this lease: stopped as `abandon`, said as what its code says it is. */
  cancel(frame: CancelNotice): void {
    const reading = readCancel(frame);
    this.abandon(reading.reason, reading.cancelled, reading);
  }

  /**
   * Cancelled, or the lease is gone: stop the engine within 2 s, discard the work, report only its spend (`cleanup`).
   * `said`: event and verb (a `cancel`'s; or the agent's own, with what becomes of the lease: agent/lease-notices).
   */
  abandon(reason: string, cancelled: boolean, said?: StopSaid): void {
    if (this.lost !== undefined || this.settled) return;
    this.lost = reason;
    this.stopTimers();
    this.engine?.stop(cancelled ? "cancel" : "lease_lost", CANCEL_GRACE_MS);
    const line = abandonedLine(this.jobId, reason, cancelled, said, this.wip?.current ?? this.resumedCheckpoint());
    this.say("✘", line.event, line.text, line.fields);
  }

  /** A reconnect's `welcome` lists this very lease, `ttlSeconds` (s) left: it is still ours until then. */
  leaseConfirmed(ttlSeconds: number): void {
    if (this.lost === undefined && !this.settled) this.lease.confirmed(ttlSeconds);
  }

  /** The checkpoint this run resumed from (an earlier run's), when it has none of its own yet. */
  private resumedCheckpoint(): { sha: string; branch: string } | undefined {
    const ws = this.ws;
    return ws?.resumedFrom && ws.resumedBranch ? { sha: ws.resumedFrom, branch: ws.resumedBranch } : undefined;
  }

  /**
   * Drain ran out of time: stop the engine, checkpoint, give the job back; resolves when done. Not an engine that exited
   * on its own (its pipes still read): its outcome is reported (agent/seat-runner), not its paid-for work run again.
   */
  release(reason: string): Promise<void> {
    this.releasing ??= reason;
    if (!this.engine?.exitSeen) this.engine?.stop("drain", CANCEL_GRACE_MS);
    return this.finished;
  }

  /** The product's lease TTL changed (a `settings` frame): renew now, so this lease moves to it at once. */
  leaseTtlChanged(): void {
    if (this.lost === undefined && !this.settled) this.lease.renewNow();
  }

  protected say(mark: Mark, event: string, text: string, fields: Record<string, unknown> = {}): void {
    this.ctx.out.say(mark, event, text, { jobId: this.jobId, leaseEpoch: this.leaseEpoch, ...fields });
  }

  protected note(text: string): void {
    this.log?.write("agent", text);
  }

  protected ref() {
    return { jobId: this.jobId, leaseEpoch: this.leaseEpoch };
  }

  /** Report, then record the job done — `ended` only after the coordinator acknowledged (seed 004 §14). */
  protected async finish(report: StoredReport, started: number, resent = false): Promise<void> {
    // Not ours to report any more: no record of a report the coordinator would fence, no renewals restarted.
    if (this.lost) return this.cleanup();
    this.engineDone = true;
    const prior = this.ctx.records.read(this.jobId);
    const record = {
      ...this.ref(),
      attempt: this.a.job.attempt,
      startedAt: prior?.startedAt ?? started,
      engine: prior?.engine,
      // Kept: the last acknowledged checkpoint is what a later resume on this host is checked against.
      ...(prior?.checkpoint && prior.leaseEpoch === this.leaseEpoch ? { checkpoint: prior.checkpoint } : {}),
    };
    if (!this.lease.renewing) this.startRenewals();
    const gaveUp = () => this.lost !== undefined;
    this.reportOut = true;
    const delivered = await reportAndRecord(this.ctx.conn, this.ctx.records, record, report, gaveUp);
    if (delivered.ok || delivered.code === "fenced") this.lease.answered(report); // its spend is charged
    this.stopTimers();
    if (delivered.ok) {
      this.settled = true;
      const line = outcomeLine(this.jobId, report, formatDuration(Date.now() - started), resent);
      this.say(line.mark, line.event, line.text, { outcome: line.outcome });
    } else if (!this.lost) {
      this.say("✘", "job.report_failed", `${this.jobId} report not accepted: ${delivered.message}`);
      if (delivered.leaseLost) this.lost = delivered.message; // taken, its cancel missed: `cleanup` says `stopped`
    }
    return this.cleanup();
  }

  /**
   * Checkpoint (unless the final one is taken), hand the job back: `release` for a drain (it may come back here),
   * `reject` when this host cannot run it (no such engine, a local repo it may not clone; no attempt spent, and kept
   * from this host for a long backoff: core/exclusions). Said so once acknowledged only.
   */
  protected async giveBack(reason: string, how: "release" | "reject"): Promise<void> {
    if (!this.lost && !this.wip?.finalCommitted) await this.wip?.take(true);
    this.stopTimers();
    const frame = { type: how, ...this.ref(), reason: truncateUtf8(reason, 500) };
    this.log?.flush(); // the run's last lines before the frame that ends the lease (later ones are refused)
    const miss = this.lost ? "" : await this.lease.deliver(frame);
    this.settled = miss === undefined;
    const line = givenBackLine(this.jobId, reason, how, miss);
    if (!this.lost) this.say(line.mark, line.event, line.text);
    return this.cleanup();
  }

  protected startRenewals(): void {
    this.lease.startRenewals(this.a.ttlSeconds, this.resumed, this.ctx.connectionTtl?.());
  }

  protected stopTimers(): void {
    this.lease.stopRenewals();
    this.wip?.stop();
  }

  /** Beside the workspace, not in it: the job text must not end up in the diff or a checkpoint. */
  protected jobFile(): string {
    return `${jobDir(this.ctx.cfg.workDir, this.jobId)}.job.md`;
  }

  /** The run's files go: the workspace (kept when its last work is in no commit), the job file, the local log. */
  protected async cleanup(): Promise<void> {
    this.stopTimers();
    if (this.keptForRestart) return this.log?.close(); // the restart reports it: nothing said ended, nothing removed
    // Every way here passes the engine's exit (or it never started): an abandoned run says it stopped — after what its
    // engine spent since the last answered report, now that its usage is final (agent/seat-lease `reportSpend`).
    if (this.lost !== undefined) this.lease.reportStopped(this.ctx.features?.(), this.meter.usage);
    await this.log?.close();
    if (this.ctx.cfg.keepWorkspaces) return;
    if (this.ws && this.wip?.finalError) await keepForOperator(this.ws, this.ctx.cfg.workDir, this.say.bind(this));
    else if (this.ws) await discardWorkspace(this.ws);
    rmSync(this.jobFile(), { force: true });
    rmSync(lessonsFileFor(this.jobFile()), { force: true });
    this.log?.remove();
    if (this.givenUp) this.ctx.records.remove(this.jobId);
  }
}
