/**
 * @module agent/seat-runner
 * One assignment on one seat, start to finish: accept → workspace → `building`
 * (both in one `accept` when the coordinator supports it: agent/start-frames)
 * → engine (logs streamed, lease renewed at TTL/2, WIP checkpointed) → final
 * checkpoint, diff, artifacts → report → done record (`ended` last, only after
 * the coordinator acknowledged). Two other ways out: `abandon` (cancel pushed,
 * or the lease was lost: stop the engine within 2 s, discard the work, report
 * nothing) and `release` (drain timeout: stop, checkpoint, give the job back).
 */
import { chownSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Assignment } from "../shared/protocol.ts";
import { publishRun } from "./artifacts.ts";
import { engineInvocation } from "./command-template.ts";
import type { RunConfig } from "./config.ts";
import { type FactoryConnection, FrameError, LEASE_LOST_CODES, type OutFrame } from "./connection.ts";
import {
  BUDGET_GRACE_MS,
  CANCEL_GRACE_MS,
  type EngineProcess,
  killOrphanEngine,
  startEngine,
} from "./engine-runner.ts";
import type { RunAs } from "./engine-user.ts";
import { pickEngine } from "./engines.ts";
import { reportInsights, type Usage, UsageMeter } from "./insights.ts";
import { JobLog } from "./job-log.ts";
import { LeaseRenewer, renewPlan } from "./lease-renewer.ts";
import { lessonsFileFor, writeLessonsFile } from "./lessons-file.ts";
import type { LogStream } from "./log-batcher.ts";
import { formatDuration, type Mark, type Output } from "./output.ts";
import { deliverFrame, outcomeLine, reportAndRecord, resultOf } from "./report.ts";
import type { RestTarget } from "./rest.ts";
import { type Sandbox, sandboxedArgv } from "./sandbox.ts";
import { startFrames } from "./start-frames.ts";
import type { JobRecords, StoredReport } from "./state.ts";
import { WipCheckpointer } from "./wip-checkpointer.ts";
import { discardWorkspace, jobDir, prepareWorkspace, type Workspace } from "./workspace.ts";

export interface SeatContext {
  conn: FactoryConnection;
  cfg: RunConfig;
  out: Output;
  records: JobRecords;
  engines: ReadonlyMap<string, string>;
  rest: RestTarget;
  /** Who engines run as (agent/engine-user), HOME resolved; undefined = the agent's own user. */
  engineUser?: RunAs;
  /** The sandbox engines run in when they run as the agent's own user (agent/sandbox). */
  sandbox?: Sandbox;
  /** The lease TTL (s) that applies on this connection (welcome, then `settings` frames); undefined before welcome. */
  connectionTtl?: () => number | undefined;
  /** The optional protocol features the last `welcome` announced (shared/protocol FEATURES). */
  features?: () => ReadonlySet<string>;
}

export class SeatRunner {
  readonly jobId: string;
  readonly leaseEpoch: number;
  readonly finished: Promise<void>;
  private readonly ctx: SeatContext;
  private readonly a: Assignment;
  private readonly resumed: boolean;
  private readonly renewer = new LeaseRenewer();
  private engine: EngineProcess | undefined;
  private ws: Workspace | undefined;
  private wip: WipCheckpointer | undefined;
  private log: JobLog | undefined;
  private lost: string | undefined;
  private releasing: string | undefined;
  /** The coordinator has the outcome (report acknowledged, or job given back): nothing left to abandon. */
  private settled = false;
  private readonly meter: UsageMeter;

  constructor(ctx: SeatContext, assignment: Assignment, resumed: boolean) {
    this.ctx = ctx;
    this.a = assignment;
    this.resumed = resumed;
    this.jobId = assignment.job.id;
    this.leaseEpoch = assignment.leaseEpoch;
    this.meter = new UsageMeter(assignment.job.budget);
    this.finished = this.run()
      .catch((err: unknown) => this.say("✘", "job.error", `${this.jobId} agent error: ${(err as Error).stack ?? err}`))
      .finally(() => this.stopTimers());
  }

  /**
   * Whether this seat still counts against the host's capacity. Once the coordinator has the
   * outcome (report acknowledged, job given back) it has freed the seat on its side and pushes
   * the next job at once; the worktree cleanup still running here must not refuse that push.
   */
  get occupiesSeat(): boolean {
    return !this.settled && !this.cancelled;
  }

  /**
   * A `cancel` came from the coordinator: it took the lease (epoch + 1) and freed the seat on its side before
   * sending it, and may push that seat's next job in the very next frame (a preemption always does). The seat is
   * free from here on, though the engine gets up to 2 s to stop: refusing the push instead would bounce the
   * critical job that caused the cancel. Waiting for a "stopped" confirmation before the coordinator assigns
   * would need a new frame and leave the seat idle on a lost confirmation; a brief overlap of a stopping engine
   * and a starting one is the lesser cost.
   */
  private cancelled = false;

  /** Cancelled, or the lease is gone: stop the engine within 2 s, discard the work, report nothing. */
  abandon(reason: string, cancelled: boolean): void {
    if (this.lost !== undefined || this.settled) return;
    this.lost = reason;
    this.cancelled = cancelled;
    this.stopTimers();
    this.engine?.stop(cancelled ? "cancel" : "lease_lost", CANCEL_GRACE_MS);
    const what = cancelled ? "cancelled" : "lease lost";
    // Preempted: the work since the last WIP checkpoint is lost; the coordinator kept that checkpoint for the next holder.
    const after =
      reason === "preempted"
        ? "engine stopped; the job resumes from its last checkpoint"
        : "engine stopped, work discarded";
    this.say("✘", cancelled ? "job.cancelled" : "job.lease_lost", `${this.jobId} ${what}: ${reason} — ${after}`);
  }

  /** The agent is exiting right now (second signal): kill the engine outright. */
  forceStop(): void {
    this.abandon("agent interrupted", true);
    this.engine?.kill("shutdown");
  }

  /** Drain ran out of time: stop the engine, checkpoint, give the job back. Resolves when done. */
  release(reason: string): Promise<void> {
    this.releasing ??= reason;
    this.engine?.stop("drain", CANCEL_GRACE_MS);
    return this.finished;
  }

  private say(mark: Mark, event: string, text: string, fields: Record<string, unknown> = {}): void {
    this.ctx.out.say(mark, event, text, { jobId: this.jobId, leaseEpoch: this.leaseEpoch, ...fields });
  }

  private note(text: string): void {
    this.log?.write("agent", text);
  }

  /** A fenced request: a lease-lost answer abandons the job; other failures are logged (and retried by design). */
  private async send(frame: OutFrame): Promise<boolean> {
    try {
      await this.ctx.conn.request(frame);
      return true;
    } catch (err) {
      if (err instanceof FrameError && LEASE_LOST_CODES.has(err.code)) this.abandon(err.message, false);
      else this.note(`${frame.type} not delivered: ${(err as Error).message}`);
      return false;
    }
  }

  /** Frames that must land (accept, the move to building): retried across reconnects; false = the job is gone. */
  private async sendReliably(frame: OutFrame): Promise<boolean> {
    const d = await deliverFrame(this.ctx.conn, frame, () => this.lost !== undefined);
    if (!d.ok) this.abandon(d.message, false);
    return d.ok;
  }

  private ref() {
    return { jobId: this.jobId, leaseEpoch: this.leaseEpoch };
  }

  private async run(): Promise<void> {
    const { job } = this.a;
    const { cfg, records } = this.ctx;
    const started = Date.now();
    const prior = records.read(this.jobId);
    // Finished before a restart but not acknowledged: send the saved report again, never re-run the engine.
    if (prior?.report && prior.leaseEpoch === this.leaseEpoch) return this.finish(prior.report, started, true);
    const resuming = this.resumed ? " — resuming" : "";
    this.say("▶", "job.start", `${this.jobId} ${job.title} (attempt ${job.attempt})${resuming}`, {
      attempt: job.attempt,
    });
    const start = startFrames(this.ref(), this.ctx.features?.() ?? new Set(), this.resumed, job.stage);
    if (start.accept && !(await this.sendReliably(start.accept))) return this.cleanup();
    this.startRenewals();
    const pick = pickEngine(job.engine, this.ctx.engines, cfg.defaultEngine);
    if ("error" in pick) return this.giveBack(pick.error, "reject");
    const record = { ...this.ref(), attempt: job.attempt, engine: pick.name, startedAt: started };
    records.write(record);
    // In the state dir, not the work dir: the engine's user may write there, and the agent writes logs.
    this.log = new JobLog(path.join(cfg.stateDir, "logs", `${this.jobId}-a${job.attempt}.log`), (logs) => {
      void this.send({ type: "progress", ...this.ref(), logs, ...this.usageSoFar() });
    });
    if (prior?.enginePid && killOrphanEngine(prior.enginePid, jobDir(cfg.workDir, this.jobId))) {
      this.note(`stopped engine ${prior.enginePid} left running by an earlier agent process`);
    }
    let ws: Workspace;
    try {
      ws = await prepareWorkspace(job, {
        workDir: cfg.workDir,
        checkpointRemote: cfg.checkpointRemote,
        owner: this.ctx.engineUser,
        allowLocalRepos: cfg.allowLocalRepos,
      });
    } catch (err) {
      const message = `could not prepare the workspace: ${(err as Error).message}`.slice(0, 4000);
      this.note(message);
      return this.finish({ type: "fail", result: { outcome: "failure", message } }, started);
    }
    this.ws = ws;
    const wip = new WipCheckpointer({
      ws,
      jobId: this.jobId,
      attempt: job.attempt,
      announce: (checkpoint) => this.send({ type: "progress", ...this.ref(), checkpoint, ...this.usageSoFar() }),
      note: (t) => this.note(t),
      stopped: () => this.lost !== undefined,
    });
    this.wip = wip;
    if (this.lost) return this.cleanup();
    const from = ws.resumedFrom ? `, resumed from checkpoint ${ws.resumedFrom.slice(0, 12)}` : "";
    this.note(`workspace ${ws.dir} (${ws.kind}${from}); engine ${pick.name}`);
    if (start.buildingProgress) {
      await this.sendReliably({
        type: "progress",
        ...this.ref(),
        stage: "building",
        note: `engine ${pick.name}${from}`,
      });
    }
    if (this.lost) return this.cleanup();
    if (this.releasing) return this.giveBack(this.releasing, "release");

    const user = this.ctx.engineUser;
    const lessonsFile = writeLessonsFile(lessonsFileFor(this.jobFile()), this.a.lessons, user);
    const envOpts = { extra: new Set(cfg.engineEnv), user, lessonsFile };
    const run = engineInvocation(pick.template, job, ws.dir, this.jobFile(), envOpts);
    rmSync(this.jobFile(), { force: true });
    writeFileSync(this.jobFile(), run.stdin, { mode: 0o600 }); // the job text is for its engine only
    if (user) chownSync(this.jobFile(), user.uid, user.gid);
    const box = this.ctx.sandbox;
    this.engine = startEngine({
      ...run,
      argv: box ? sandboxedArgv(run.argv, box) : run.argv,
      as: user,
      cwd: ws.dir,
      wallSeconds: job.budget.wallSeconds,
      onLine: (stream, text) => this.onLine(stream, text),
    });
    if (this.engine.pid !== undefined) records.write({ ...record, enginePid: this.engine.pid });
    if (this.lost) this.engine.stop("lease_lost", CANCEL_GRACE_MS);
    wip.start(cfg.checkpointIntervalMs);
    const exit = await this.engine.exited;
    wip.stop();
    const how = exit.rc !== null ? `code ${exit.rc}` : (exit.signal ?? exit.spawnError);
    this.note(`engine exited (${how}) after ${formatDuration(exit.durationMs)}`);
    if (this.lost) return this.cleanup();
    await wip.take(true);
    if (this.releasing) return this.giveBack(this.releasing, "release");

    const outcome = resultOf(exit, {
      wallSeconds: job.budget.wallSeconds,
      usageBreach: this.meter.breach,
      lastError: this.log.lastError(),
      rateLimitedFor: this.meter.rateLimitedFor,
    });
    const warn = (t: string) => this.say("⚠", "artifact.failed", `${this.jobId} ${t}`);
    const diffStat = await publishRun(this.ctx.rest, this.ref(), ws, wip.lastSha ?? ws.base, this.log, warn);
    const insights = reportInsights(this.meter.usage, diffStat);
    return this.finish({ ...outcome, insights, checkpoint: wip.current }, started);
  }

  /**
   * The engine's cumulative usage so far, for a progress frame: the coordinator accrues the product budget from it
   * as it grows and checks the job budget itself (issue 9). Empty until the engine printed a `gf_insights` line.
   */
  private usageSoFar(): { insights?: Usage } {
    return Object.keys(this.meter.usage).length > 0 ? { insights: { ...this.meter.usage } } : {};
  }

  private onLine(stream: LogStream, text: string): void {
    // Usage first: a log batch this line fills is flushed at once, and its progress frame must carry this usage.
    const breach = this.meter.line(text);
    this.log?.write(stream, text);
    if (!breach) return;
    this.note(`budget exceeded (${breach}): stopping the engine`);
    this.engine?.stop("budget_usage", BUDGET_GRACE_MS);
  }

  /** Report, then record the job done — `ended` only after the coordinator acknowledged (seed 004 §14). */
  private async finish(report: StoredReport, started: number, resent = false): Promise<void> {
    const prior = this.ctx.records.read(this.jobId);
    const record = {
      ...this.ref(),
      attempt: this.a.job.attempt,
      startedAt: prior?.startedAt ?? started,
      engine: prior?.engine,
    };
    if (!this.renewer.running) this.startRenewals();
    const delivered = await reportAndRecord(
      this.ctx.conn,
      this.ctx.records,
      record,
      report,
      () => this.lost !== undefined,
    );
    this.stopTimers();
    if (delivered.ok) {
      this.settled = true;
      const line = outcomeLine(this.jobId, report, formatDuration(Date.now() - started), resent);
      this.say(line.mark, line.event, line.text, { outcome: line.outcome });
    } else if (!this.lost) {
      this.say("✘", "job.report_failed", `${this.jobId} report not accepted: ${delivered.message}`);
    }
    return this.cleanup();
  }

  /**
   * Checkpoint what there is and hand the job back: `release` when the host is
   * going away (drain) — the job may come back here later — or `reject` when
   * this host cannot run it (no such engine), so it is never offered here again.
   */
  private async giveBack(reason: string, how: "release" | "reject"): Promise<void> {
    if (!this.lost) await this.wip?.take(true);
    this.stopTimers();
    if (!this.lost) {
      this.settled = await this.send({ type: how, ...this.ref(), reason: reason.slice(0, 500) });
      this.say("·", "job.released", `${this.jobId} given back: ${reason}`);
    }
    return this.cleanup();
  }

  private startRenewals(): void {
    const ttl = this.ctx.cfg.leaseTtlSeconds;
    const frame: OutFrame = { type: "renew", ...this.ref(), ...(ttl ? { ttlSeconds: ttl } : {}) };
    const plan = renewPlan(ttl, this.a.ttlSeconds, this.resumed, this.ctx.connectionTtl?.());
    this.renewer.start(plan, () => void this.renewOnce(frame));
  }

  /** One renewal; its answer names the TTL granted, and the renewer keeps to half of it (agent/lease-renewer). */
  private async renewOnce(frame: OutFrame): Promise<void> {
    try {
      const granted = (await this.ctx.conn.request(frame)) as { ttlSeconds?: unknown } | undefined;
      if (typeof granted?.ttlSeconds === "number" && granted.ttlSeconds > 0) this.renewer.adopt(granted.ttlSeconds);
    } catch (err) {
      if (err instanceof FrameError && LEASE_LOST_CODES.has(err.code)) this.abandon(err.message, false);
      else this.note(`${frame.type} not delivered: ${(err as Error).message}`);
    }
  }

  /** The product's lease TTL changed (a `settings` frame): renew now, so this lease moves to it at once. */
  leaseTtlChanged(): void {
    if (this.lost === undefined && !this.settled) this.renewer.renewNow();
  }

  private stopTimers(): void {
    this.renewer.stop();
    this.wip?.stop();
  }

  /** Beside the workspace, not in it: the job text must not end up in the diff or a checkpoint. */
  private jobFile(): string {
    return `${jobDir(this.ctx.cfg.workDir, this.jobId)}.job.md`;
  }

  private async cleanup(): Promise<void> {
    this.stopTimers();
    await this.log?.close();
    if (this.ctx.cfg.keepWorkspaces) return;
    if (this.ws) await discardWorkspace(this.ws);
    rmSync(this.jobFile(), { force: true });
    rmSync(lessonsFileFor(this.jobFile()), { force: true });
    this.log?.remove();
  }
}
