/**
 * @module scripts/test-side-by-side
 * Runs commands at the same time while their output reads as if they had run one after another (what `npm test`
 * does with its unit and integration layers): the first's output goes straight to this process's own stdout and
 * stderr (its terminal, colours and live summary kept); each later one's is held while those before it run, then
 * written whole once they have ended, and from then on passed through as it comes. Each run's `header` line is
 * written where its output begins.
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
}

/** Where a held run's output goes: `process.stdout`/`process.stderr` unless a caller says otherwise. */
export interface Sinks {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Starts every run at once and resolves, once all have ended, with each one's exit status in `runs`' order (its exit
 * code; 1 when a signal ended it or it could not be started — the cause is written in its output's place).
 * Throws nothing. A stop request while they run (SIGINT, SIGTERM, SIGHUP, or the parent gone: scripts/stop-signals)
 * passes that signal to each run's process tree (SIGINT for SIGINT, else SIGTERM; SIGKILL to what is left after
 * 10 s), and once all have ended, their output written, exits this process 128 + the signal's number (130, 143,
 * 129); a second request a second or more later kills them all at once and exits so. Without this a SIGTERM (a CI
 * timeout, `kill`) ended `npm test` alone and left both layers running, orphaned, for the rest of their run.
 */
export async function runSideBySide(
  runs: readonly SideRun[],
  sinks: Sinks = { stdout: process.stdout, stderr: process.stderr },
): Promise<number[]> {
  const held = runs.map(() => [] as { to: NodeJS.WritableStream; chunk: Buffer | string }[]);
  let shown = 0; // runs[shown] is the one whose output goes through as it comes; those after it are held
  const ended = runs.map(() => false);
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
      sinks.stdout.write(`${runs[shown]!.header}\n`);
      for (const { to, chunk } of held[shown]!.splice(0)) to.write(chunk);
    }
  };
  const done = runs.map(
    (run, i) =>
      new Promise<number>((resolve) => {
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
          next();
          resolve(status ?? code ?? 1);
        });
      }),
  );
  const statuses = await Promise.all(done);
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
