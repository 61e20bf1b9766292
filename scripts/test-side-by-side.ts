/**
 * @module scripts/test-side-by-side
 * Runs commands at the same time while their output reads as if they had run one after another (what `npm test`
 * does with its unit and integration layers): the first's output goes straight to this process's own stdout and
 * stderr (its terminal, colours and live summary kept); each later one's is held while those before it run, then
 * written whole once they have ended, and from then on passed through as it comes. Each run's `header` line is
 * written where its output begins. A run may wait for an earlier one (`after`): it starts once that one has ended with
 * status 0, and never if it ended otherwise.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { killDescendants, stopChildren } from "./process-tree.ts";
import { onStopRequest, type StopReason, stopExitCode } from "./stop-signals.ts";

/** 10 s: how long a stopped run (a vitest layer: its workers, workerd) has to end before its whole tree is killed. */
const STOP_GRACE_MS = 10_000;

export interface SideRun {
  /** A line written (with a newline) just before the run's output. */
  header: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The index in `runs` of an earlier run this one starts after: once that one has ended with status 0 (its output
   * order unchanged). Never started when that one failed, or when a stop request came first: its status is then null.
   */
  after?: number;
}

/** Where a held run's output goes: `process.stdout`/`process.stderr` unless a caller says otherwise. */
export interface Sinks {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Starts every run at once (one with `after`, once that one has ended with 0) and resolves, once all have ended, with
 * each one's exit status in `runs`' order (its exit code; 1 when a signal ended it or it could not be started — the
 * cause is written in its output's place; null for one never started: its `after` failed, or a stop request came).
 * Throws nothing. A stop request while they run (SIGINT, SIGTERM, SIGHUP, or the parent gone: scripts/stop-signals)
 * passes that signal to each run's process tree (SIGINT for SIGINT, else SIGTERM; SIGKILL to what is left after
 * 10 s), and once all have ended, their output written, exits this process 128 + the signal's number (130, 143,
 * 129); a second request a second or more later kills them all at once and exits so. Without this a SIGTERM (a CI
 * timeout, `kill`) ended `npm test` alone and left both layers running, orphaned, for the rest of their run.
 */
export async function runSideBySide(
  runs: readonly SideRun[],
  sinks: Sinks = { stdout: process.stdout, stderr: process.stderr },
): Promise<(number | null)[]> {
  const held = runs.map(() => [] as { to: NodeJS.WritableStream; chunk: Buffer | string }[]);
  let shown = 0; // runs[shown] is the one whose output goes through as it comes; those after it are held
  const ended = runs.map(() => false);
  const started = runs.map(() => false);
  const children: ChildProcess[] = [];
  let stopped: { why: StopReason; trees: Promise<void> } | undefined;
  const unwatch = onStopRequest({
    stop: (why) => {
      stopped = {
        why: why as StopReason,
        trees: stopChildren(children, why === "SIGINT" ? "SIGINT" : "SIGTERM", STOP_GRACE_MS),
      };
    },
    force: (_why, exitCode) => {
      killDescendants(process.pid);
      process.exit(exitCode);
    },
  });
  const show = (i: number, to: NodeJS.WritableStream, chunk: Buffer | string) => {
    if (i === shown) to.write(chunk);
    else held[i]!.push({ to, chunk });
  };
  /** Hands the output over to the next run not yet shown: its held output written whole, more if it has ended too. */
  const next = () => {
    while (shown < runs.length && ended[shown]) {
      shown += 1;
      if (shown === runs.length) break;
      if (ended[shown] && !started[shown]) continue; // never started: no header, nothing to show
      sinks.stdout.write(`${runs[shown]!.header}\n`);
      for (const { to, chunk } of held[shown]!.splice(0)) to.write(chunk);
    }
  };
  const settle: ((status: number | null) => void)[] = [];
  const finished = runs.map(
    (_, i) =>
      new Promise<number | null>((resolve) => {
        settle[i] = resolve;
      }),
  );
  const waits = (run: SideRun, i: number) => run.after !== undefined && run.after >= 0 && run.after < i;
  /** Starts or drops, at once, the runs waiting for run `i`, which ended with `status`: before `next` shows them. */
  const release = (i: number, status: number) => {
    runs.forEach((run, j) => {
      if (!waits(run, j) || run.after !== i) return;
      if (status === 0 && stopped === undefined) {
        start(run, j);
        return;
      }
      ended[j] = true;
      settle[j]!(null);
    });
  };
  const start = (run: SideRun, i: number) => {
    started[i] = true;
    if (i === 0) sinks.stdout.write(`${run.header}\n`);
    // The first goes to this process's own descriptors when they are its own, so it sees the terminal itself.
    const direct = i === 0 && sinks.stdout === process.stdout && sinks.stderr === process.stderr;
    const child = spawn(run.command, [...run.args], {
      cwd: run.cwd,
      env: direct ? run.env : { ...(run.env ?? process.env), ...heldColours() },
      stdio: direct ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    child.stdout?.on("data", (c: Buffer) => show(i, sinks.stdout, c));
    child.stderr?.on("data", (c: Buffer) => show(i, sinks.stderr, c));
    let status: number | undefined;
    child.once("error", (err) => {
      show(i, sinks.stderr, `${run.command}: ${err.message}\n`);
      status = 1;
    });
    // `close`, not `exit`: the pipes' last output has been read by then.
    child.once("close", (code) => {
      ended[i] = true;
      release(i, status ?? code ?? 1);
      next();
      settle[i]!(status ?? code ?? 1);
    });
  };
  runs.forEach((run, i) => {
    if (!waits(run, i)) start(run, i);
  });
  const statuses = await Promise.all(finished);
  unwatch();
  if (stopped !== undefined) {
    // A run's own end is not its tree's: a vitest killed outright leaves its workers and workerd to the grace's SIGKILL.
    await stopped.trees;
    process.exit(stopExitCode(stopped.why));
  }
  return statuses;
}

/** A held run writes to a pipe, where vitest drops its colours: kept when this process's own output is a terminal. */
function heldColours(): NodeJS.ProcessEnv {
  return process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: "1" } : {};
}
