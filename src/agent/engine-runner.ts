/**
 * @module agent/engine-runner
 * Runs one engine process: argv from the command template (no shell), the job
 * on stdin, output split into lines for the log, the per-job wall budget as a
 * timer. The engine gets its own process group so that stopping it also stops
 * whatever it spawned (an AI engine runs compilers, test runners, servers):
 * SIGTERM to the group, SIGKILL after a grace period — and, once it has exited, SIGKILL to what it started in a
 * session of its own, out of the group's reach (agent/engine-strays).
 */
import { spawn } from "node:child_process";
import { readlinkSync, realpathSync } from "node:fs";
import path from "node:path";
import { counted } from "../core/counted.ts";
import { afterPoll } from "../shared/after-poll.ts";
import { notStarted } from "./engine-start.ts";
import { killMarked, newRunMark, RUN_MARK_VAR, runMarkOf } from "./engine-strays.ts";
import { LineSplitter, type LogStream } from "./log-batcher.ts";
import { groupWorksIn, leaderGone } from "./orphan-group.ts";
import { SANDBOX_STATUS_FD, type Sandbox, sandboxedArgv } from "./sandbox.ts";

export type StopReason = "budget_wall" | "budget_usage" | "cancel" | "lease_lost" | "drain" | "shutdown";

export interface EngineSpec {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** The user to run as (agent/engine-user); undefined = the agent's own. */
  as?: { uid: number; gid: number };
  /** Run `argv` in this sandbox (agent/sandbox); undefined = as it is. */
  sandbox?: Sandbox;
  stdin: string;
  /** The job's `budget.wallSeconds`; undefined = no limit. */
  wallSeconds?: number;
  onLine: (stream: LogStream, text: string) => void;
}

export interface EngineExit {
  rc: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the agent stopped the engine (rather than it exiting on its own). */
  stoppedFor?: StopReason;
  durationMs: number;
  /**
   * The engine could not be started at all — this host's problem (agent/engine-start): the binary, why and the fix.
   * Set only from what is certain: the spawn `error` event, or the sandbox's status saying its exec failed.
   */
  spawnError?: string;
  /** With `spawnError`: the engine's own fault (its binary or interpreter), not this start's or the sandbox's. */
  spawnEngineFault?: boolean;
  /** Processes the engine left running outside its group (setsid), killed at its exit; absent when none. */
  strays?: number;
}

/** 5 s: a budget overrun gets time to flush and exit cleanly, but not enough to do more work. */
export const BUDGET_GRACE_MS = 5_000;
/** 2 s: a cancelled or fenced job must stop promptly — its work is discarded anyway. */
export const CANCEL_GRACE_MS = 2_000;
/** 2 s: after the engine exits, how long its orphaned children may keep its stdout open. */
const STDIO_DRAIN_MS = 2_000;
/**
 * Node's longest timer (2^31 − 1 ms, 24.8 days): a longer one fires after 1 ms. A wall budget past it (the assignment
 * guard bounds none; the coordinator accepts 7 days at most) stopped the engine at once as `budget_wall`, so it is
 * held to this instead — still weeks past any wall a coordinator grants.
 */
const MAX_WALL_MS = 2 ** 31 - 1;

export class EngineProcess {
  readonly pid: number | undefined;
  readonly exited: Promise<EngineExit>;
  private stoppedFor: StopReason | undefined;
  private done = false;
  /** The engine's own process has exited; its pipes may still be read (STDIO_DRAIN_MS): a stop stops none of its work. */
  exitSeen = false;
  private readonly signalGroup: (sig: NodeJS.Signals) => void;
  /** This run's mark in the environment of every process it starts (agent/engine-strays). */
  private readonly mark = newRunMark();

  constructor(spec: EngineSpec) {
    const started = Date.now();
    const status = spec.sandbox?.status ? { text: "", bwrapSaid: "" } : undefined;
    const [cmd, ...args] = spec.sandbox ? sandboxedArgv(spec.argv, spec.sandbox, true) : spec.argv;
    const child = spawn(cmd as string, args, {
      cwd: spec.cwd,
      env: { ...spec.env, [RUN_MARK_VAR]: this.mark },
      ...(spec.as ? { uid: spec.as.uid, gid: spec.as.gid } : {}),
      stdio: ["pipe", "pipe", "pipe", ...(status ? (["pipe"] as const) : [])],
      detached: process.platform !== "win32", // own process group → one signal reaches its children
    });
    this.pid = child.pid;
    this.signalGroup = (sig) => {
      try {
        if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        /* already gone */
      }
    };
    const splitters: Record<"stdout" | "stderr", LineSplitter> = {
      stdout: new LineSplitter(),
      stderr: new LineSplitter(),
    };
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream].setEncoding("utf8");
      child[stream].on("data", (chunk: string) => {
        if (this.done) return; // the run is over (finish below): nothing more belongs to it
        for (const line of splitters[stream].push(chunk)) {
          if (status && stream === "stderr" && line.startsWith("bwrap: ")) status.bwrapSaid = line.slice(0, 1000);
          spec.onLine(stream, line);
        }
      });
    }
    // bwrap's JSON status lines (agent/sandbox): a few hundred bytes; more is not read (an engine cannot reach the fd).
    child.stdio[SANDBOX_STATUS_FD]?.on("data", (chunk: Buffer) => {
      if (status && status.text.length < 4096) status.text += chunk.toString("utf8");
    });
    child.stdin.on("error", () => {}); // an engine that ignores stdin closes it early: EPIPE is fine
    child.stdin.end(spec.stdin);

    // Not an engine whose exit is waiting to be read (afterPoll): it ended within its budget.
    const overrun = () =>
      child.exitCode === null && child.signalCode === null && this.stop("budget_wall", BUDGET_GRACE_MS);
    const wall =
      spec.wallSeconds !== undefined
        ? setTimeout(afterPoll(overrun), Math.min(MAX_WALL_MS, spec.wallSeconds * 1000))
        : undefined;

    this.exited = new Promise<EngineExit>((resolve) => {
      let spawnError: string | undefined;
      let spawnEngineFault = false;
      let exitInfo: { rc: number | null; signal: NodeJS.Signals | null } | undefined;
      const finish = () => {
        if (this.done) return;
        this.done = true;
        // bwrap exited on its own with no `exit-code`: its exec of the engine failed, or its setup did (engine-start).
        if (status && !spawnError && !this.stoppedFor && exitInfo?.rc != null && !/"exit-code"/.test(status.text)) {
          const said = status.bwrapSaid || `the sandbox (bwrap) exited with code ${exitInfo.rc} before starting it`;
          ({ why: spawnError, engineFault: spawnEngineFault } = notStarted(
            spec.argv[0] as string,
            { message: said },
            { ...spec, uid: spec.as?.uid },
          ));
        }
        if (wall) clearTimeout(wall);
        for (const stream of ["stdout", "stderr"] as const)
          for (const l of splitters[stream].end()) spec.onLine(stream, l);
        this.signalGroup("SIGKILL"); // nothing the engine started may outlive it
        const strays = killMarked(this.mark); // nor what left its group (setsid)
        // A process that left both (`env -i setsid …`: no mark) may still hold the pipes: they are closed here, so it
        // meets EPIPE at its next write instead of writing into a run that has ended, and the agent keeps no fds.
        for (const pipe of [child.stdin, child.stdout, child.stderr, child.stdio[SANDBOX_STATUS_FD]]) pipe?.destroy();
        if (strays > 0)
          spec.onLine(
            "agent",
            `killed ${counted(strays, "process", "processes")} the engine left running outside its process group`,
          );
        resolve({
          rc: exitInfo?.rc ?? null,
          signal: exitInfo?.signal ?? null,
          stoppedFor: this.stoppedFor,
          durationMs: Date.now() - started,
          ...(spawnError ? { spawnError, spawnEngineFault } : {}),
          ...(strays > 0 ? { strays } : {}),
        });
      };
      child.on("error", (err: NodeJS.ErrnoException) => {
        const failure = { code: err.code, message: err.message };
        ({ why: spawnError, engineFault: spawnEngineFault } = notStarted(cmd as string, failure, {
          ...spec,
          uid: spec.as?.uid,
        }));
        finish();
      });
      child.on("exit", (rc, signal) => {
        exitInfo = { rc, signal };
        this.exitSeen = true;
        // What the engine wrote before exiting — its last gf_insights (the job's cost), its last stderr line, bwrap's
        // exit status — was lost when the loop was held past the bound since the exit was seen (afterPoll).
        setTimeout(afterPoll(finish), STDIO_DRAIN_MS).unref();
      });
      child.on("close", (rc, signal) => {
        exitInfo ??= { rc, signal };
        finish();
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** SIGKILL the engine's group now (the agent is exiting and no timer would fire later). */
  kill(reason: StopReason): void {
    if (this.done) return;
    this.stoppedFor ??= reason;
    this.signalGroup("SIGKILL");
    killMarked(this.mark); // the agent may exit before the engine's exit is seen
  }

  /** Ask the engine to stop (SIGTERM to its group), then SIGKILL after `graceMs`. The first reason wins. */
  stop(reason: StopReason, graceMs: number): void {
    if (this.done) return;
    this.stoppedFor ??= reason;
    this.signalGroup("SIGTERM");
    const timer = setTimeout(() => {
      if (!this.done) this.signalGroup("SIGKILL");
    }, graceMs);
    timer.unref();
  }
}

export function startEngine(spec: EngineSpec): EngineProcess {
  return new EngineProcess(spec);
}

/**
 * An engine left running by an agent that was SIGKILLed (its process group outlives
 * it) would keep writing into a workspace about to be rebuilt. Linux only, and only
 * when the process's cwd is still that job's workspace or under it, so a recycled pid is never hit.
 * An engine that has died since (at its next write to the dead agent's pipe) may have left its group running — what
 * it started: a server, a browser — which goes too when one of them still works in that workspace (agent/orphan-group).
 * What a live engine started outside its group goes too: found by the run's mark, read from the
 * engine's own environment (agent/engine-strays; a gone leader's mark cannot be read).
 */
export function killOrphanEngine(pid: number, workspace: string): boolean {
  if (process.platform !== "linux" || !Number.isInteger(pid) || pid <= 1) return false;
  try {
    let mark: string | undefined;
    if (leaderGone(pid)) {
      if (!groupWorksIn(pid, workspace)) return false;
    } else {
      // At or under it: a leader that changed directory (`sh -c 'cd app && claude -p'`) was taken for another's.
      const cwd = readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, "");
      const root = realpathSync(workspace);
      if (cwd !== root && !cwd.startsWith(`${root}${path.sep}`)) return false;
      mark = runMarkOf(pid);
    }
    process.kill(-pid, "SIGKILL");
    if (mark) killMarked(mark);
    return true;
  } catch {
    return false; // gone already, not ours, or not a group leader
  }
}
