/**
 * @module agent/seat-runner
 * One assignment on one seat, start to finish, in the order it happens: a job this host will not run (no such engine,
 * a local repo it may not clone) rejected before anything else; else accept → workspace → `building` (both in
 * one `accept` when the coordinator supports it: agent/start-frames) → engine (logs streamed, lease renewed at
 * TTL/2 by agent/seat-lease, WIP checkpointed) → its exit on record → final checkpoint, diff, artifacts → report
 * (agent/seat-run-end, which also finishes a run whose engine exited before the agent restarted). How the job ends —
 * the report delivered and the done record written, the job given back (drain, no engine here), or abandoned
 * (cancel, lease lost) — and the controls the supervisor holds the seat by are the base class, agent/seat-endings.
 */
import { truncateUtf8 } from "../core/bytes.ts";
import { counted } from "../core/counted.ts";
import { runWallLeft } from "../core/job-budget.ts";
import type { Assignment } from "../shared/protocol.ts";
import { engineInvocation } from "./command-template.ts";
import { engineExit as engineExitOf } from "./engine-exit.ts";
import { BUDGET_GRACE_MS, CANCEL_GRACE_MS, killOrphanEngine, startEngine } from "./engine-runner.ts";
import { pickEngine } from "./engines.ts";
import { replaceFile } from "./exclusive-file.ts";
import { diskFullRefusal, hostRefusal } from "./host-refusal.ts";
import { lessonsFileFor, writeLessonsFile } from "./lessons-file.ts";
import type { LogStream } from "./log-batcher.ts";
import { formatDuration } from "./output.ts";
import { resultOf } from "./report.ts";
import type { SeatContext } from "./seat-endings.ts";
import { SeatRunEnd } from "./seat-run-end.ts";
import { startFrames } from "./start-frames.ts";
import { evictUnusedMirrors, jobDir, prepareWorkspace, type Workspace } from "./workspace.ts";

export type { SeatContext } from "./seat-endings.ts";

export class SeatRunner extends SeatRunEnd {
  readonly finished: Promise<void>;

  constructor(ctx: SeatContext, assignment: Assignment, resumed: boolean) {
    super(ctx, assignment, resumed);
    this.finished = this.run()
      .catch((err: unknown) => this.agentError(err))
      .finally(() => this.stopTimers());
  }

  /**
   * The run threw: a bug, or the host (a full disk). The job still ends — its engine stopped, which nothing else
   * would do, under a lease nobody renews any more; while the lease is ours, a retryable failure that says why, with
   * the spend so far (the attempt counts: an error that repeats ends in dead_letter, not in a loop); then cleanup.
   * A full disk before the engine started is this host's problem: the job is given back (`diskFull`).
   */
  private async agentError(err: unknown): Promise<void> {
    this.say("✘", "job.error", `${this.jobId} agent error: ${(err as Error).stack ?? err}`);
    try {
      if (this.engine?.running) {
        this.engine.stop("shutdown", CANCEL_GRACE_MS);
        await this.engine.exited;
      }
      const full = this.engine ? undefined : diskFullRefusal(err, this.ctx.cfg);
      if (full && this.lost === undefined && !this.settled) return await this.diskFull(full);
      if (this.lost === undefined && !this.settled) {
        this.note(`agent error: ${(err as Error).message ?? err}`);
        // Before the report, as every ending's (the feed refuses lines after it); the report goes even when this fails.
        await this.shipLog().catch(() => undefined);
        const result = {
          outcome: "failure" as const,
          message: truncateUtf8(`agent error: ${(err as Error).message ?? err}`, 4000),
        };
        this.settled = await this.lease.sendReliably({ type: "fail", ...this.ref(), result, ...this.usageSoFar() });
      }
      await this.cleanup();
    } catch (again) {
      this.say("✘", "job.error", `${this.jobId} agent error while ending the job: ${(again as Error).message}`);
    }
  }

  private async run(): Promise<void> {
    const { job } = this.a;
    const { cfg, records } = this.ctx;
    const started = Date.now();
    const prior = records.read(this.jobId);
    const ours = prior?.leaseEpoch === this.leaseEpoch ? prior : undefined;
    // Finished before a restart but not acknowledged: send the saved report again, never re-run the engine.
    if (ours?.report) return this.finish(ours.report, started, true);
    const resuming = this.resumed ? (ours?.engineExit ? " — its engine had exited" : " — resuming") : "";
    this.say("▶", "job.start", `${this.jobId} ${job.title} (attempt ${job.attempt})${resuming}`, {
      attempt: job.attempt,
    });
    // A job this host will not run — no such engine here, a local repo it may not clone: its configuration, not the
    // job's fault — is rejected before it is accepted (a reject needs only the lease), so its feed never shows a move
    // to building by a host that never built it. Not a run whose engine exited before a restart: that one finishes.
    const pick = pickEngine(job.engine, this.ctx.engines, cfg.defaultEngine);
    // A job naming no engine gets this host's choice among all it has installed, withdrawn or not: the next one
    // offered stood in for a withdrawn one — `sample`, which every host offers, "completed" the job with no work done.
    const offer = this.ctx.engineOffer;
    const own = offer ? pickEngine(undefined, offer.installed, cfg.defaultEngine) : pick;
    const wanted = job.engine ?? ("name" in own ? own.name : undefined);
    const withdrawn = wanted ? offer?.whyWithdrawn(wanted) : undefined; // it cannot start here
    const unpicked = withdrawn ? `engine ${wanted} cannot start on this host: ${withdrawn}` : undefined;
    const refused = ours?.engineExit ? undefined : (unpicked ?? ("error" in pick ? pick.error : hostRefusal(job, cfg)));
    if (refused !== undefined) return this.giveBack(refused, "reject");
    const start = startFrames(this.ref(), this.ctx.features?.() ?? new Set(), this.resumed, job.stage);
    if (start.accept && !(await this.lease.sendReliably(start.accept))) return this.cleanup();
    this.startRenewals();
    this.engineDone = ours?.engineExit !== undefined;
    this.exitRecorded = this.engineDone;
    if (ours?.engineExit) return this.afterRestart(ours.engineExit, ours.checkpoint, started);
    if ("error" in pick) return this.giveBack(pick.error, "reject"); // refused above: only narrows the type
    const record = { ...this.ref(), attempt: job.attempt, engine: pick.name, startedAt: started };
    records.write(record);
    this.openLog();
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
        localCheckpoint: prior?.checkpoint,
      });
    } catch (err) {
      const message = truncateUtf8(`could not prepare the workspace: ${(err as Error).message}`, 4000);
      this.note(message);
      if (this.lost) return this.cleanup();
      const full = diskFullRefusal(err, cfg); // this host's problem: another host with room takes the job
      if (full) return this.diskFull(full);
      return this.finish({ type: "fail", result: { outcome: "failure", message } }, started);
    }
    this.ws = ws;
    if (ws.resumeMismatch) {
      const fields = { recorded: job.checkpoint, resumedFrom: ws.resumedFrom ?? null, local: prior?.checkpoint };
      this.say("⚠", "job.resume_mismatch", `${this.jobId} resume sources disagree: ${ws.resumeMismatch}`, fields);
      this.note(`resume sources disagree: ${ws.resumeMismatch}`);
    } else if (ws.resumeNotice) {
      // A retry after a run on another host that kept its checkpoint to itself: routine, said so without alarm.
      const fields = { recorded: job.checkpoint };
      this.say("·", "job.resume_fresh", `${this.jobId} last checkpoint out of reach: ${ws.resumeNotice}`, fields);
      this.note(ws.resumeNotice);
    }
    const wip = this.checkpointer(ws);
    if (this.lost) return this.cleanup();
    const from = ws.resumedFrom ? `, resumed from checkpoint ${ws.resumedFrom.slice(0, 12)}` : "";
    this.note(`workspace ${ws.dir} (${ws.kind}${from}); engine ${pick.name}`);
    if (start.buildingProgress) {
      await this.lease.sendReliably({
        type: "progress",
        ...this.ref(),
        stage: "building",
        note: `engine ${pick.name}${from}`,
      });
    }
    if (this.lost) return this.cleanup();
    if (this.releasing) return this.giveBackUnrun(this.releasing, "release");

    const user = this.ctx.engineUser;
    const lessonsFile = writeLessonsFile(lessonsFileFor(this.jobFile()), this.a.lessons, user);
    const envOpts = { extra: new Set(cfg.engineEnv), user, lessonsFile };
    const run = engineInvocation(pick.template, job, ws.dir, this.jobFile(), envOpts);
    // The job text is for its engine only; jobs/ is writable by every engine in the sandbox (agent/exclusive-file).
    replaceFile(this.jobFile(), run.stdin, { mode: 0o600, owner: user });
    // A resumed lease's run began before this engine (an agent that died and came back): `wallSeconds` bounds the
    // run, so the engine gets what is left of it. The start is on the coordinator's clock (core/job-budget).
    const runStart = this.resumed ? this.a.runStartedAt : undefined;
    const engineStart = Date.now();
    this.engine = startEngine({
      ...run,
      sandbox: this.ctx.sandbox,
      as: user,
      cwd: ws.dir,
      wallSeconds: runWallLeft(job.budget.wallSeconds, runStart, engineStart),
      onLine: (stream, text) => this.onLine(stream, text),
    });
    if (this.engine.pid !== undefined) records.write({ ...record, enginePid: this.engine.pid });
    if (this.lost) this.engine.stop("lease_lost", CANCEL_GRACE_MS);
    wip.start(cfg.checkpointIntervalMs);
    const exit = await this.engine.exited;
    this.engineDone = true;
    wip.stop();
    const how = exit.spawnError ? "never started" : exit.rc !== null ? `code ${exit.rc}` : (exit.signal ?? "?");
    this.note(`engine exited (${how}) after ${formatDuration(exit.durationMs)}`);
    if (this.lost) return this.cleanup();
    // It never ran (agent/engine-start): this host's problem, as a missing engine is — given back, kept from here.
    if (exit.spawnError) return this.engineNotStarted(pick.name, exit.spawnError, exit.spawnEngineFault === true);
    const outcome = resultOf(exit, {
      wallSeconds: job.budget.wallSeconds,
      ranBeforeMs: runStart === undefined ? undefined : Math.max(0, engineStart - runStart),
      usageBreach: this.meter.breach,
      // The engine's own account of its failure first: Claude and Codex print it on stdout, not stderr.
      lastError: this.meter.engineError ?? this.log?.lastError(),
      rateLimitedFor: this.meter.rateLimitedFor,
    });
    // An engine the drain stopped: the job is given back (checkpointed), not this exit reported. Only one it stopped:
    // an engine that exited on its own before the release has its outcome (`release`), reported below.
    if (this.releasing && exit.stoppedFor === "drain") return this.giveBack(this.releasing, "release");
    // On record before the final checkpoint and the uploads (a minute each): a restart then finishes from it, never
    // paying for the engine again.
    const engineExit = engineExitOf({ how, outcome, usage: this.meter.usage }, ws, wip.lastSha, Date.now());
    records.write({ ...(records.read(this.jobId) ?? record), engineExit });
    this.exitRecorded = true; // from here an exit of the agent keeps the run for the restart (`stopForExit`)
    return this.wrapUp(outcome, ws, wip, started);
  }

  /**
   * No room on this host for the job (`why`, agent/host-refusal `diskFullRefusal`): the mirrors no job uses are
   * removed (caches: a full disk of them took every later job of any repository), it is said, the job given back.
   */
  private async diskFull(why: string): Promise<void> {
    const freed = await evictUnusedMirrors(this.ctx.cfg.workDir, this.ctx.engineUser);
    const room =
      freed.length > 0 ? ` (removed ${counted(freed.length, "repository mirror")} no job used, to make room)` : "";
    this.say("✘", "host.disk_full", `${this.jobId} ${why}${room}`, { mirrorsRemoved: freed.length });
    return this.giveBackUnrun(why, "reject");
  }

  /**
   * Engine `name` could not start (`why`: binary, cause, fix): said to the operator, and the job given back. When the
   * fault is the engine's own (`engineFault`), it is withdrawn: no longer offered until it looks fixed (agent/engine-offer).
   */
  private engineNotStarted(name: string, why: string, engineFault: boolean): Promise<void> {
    const text = `engine ${name} cannot start on this host: ${why}`;
    this.say("✘", "engine.not_started", `${this.jobId} ${text}`, { engine: name });
    if (engineFault) this.ctx.engineOffer?.withdraw(name, why);
    return this.giveBackUnrun(text, "reject");
  }

  /**
   * Give the job back before any engine ran for it here: without a checkpoint. The give-back's final one committed
   * the untouched workspace and pushed it — the start commit, or origin's main as `gf/wip/<job>-e<epoch>` on the
   * job's own repository — and told the coordinator, which recorded it as the job's checkpoint, "attempt 1 (final)".
   */
  private giveBackUnrun(reason: string, how: "release" | "reject"): Promise<void> {
    this.wip = undefined;
    return this.giveBack(reason, how);
  }

  private onLine(stream: LogStream, text: string): void {
    // Usage first: a log batch this line fills is flushed at once, and its progress frame must carry this usage.
    const breach = this.meter.line(text);
    this.log?.write(stream, text);
    if (!breach) return;
    this.note(`budget exceeded (${breach}): stopping the engine`);
    this.engine?.stop("budget_usage", BUDGET_GRACE_MS);
  }
}
