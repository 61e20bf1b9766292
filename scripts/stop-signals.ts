/**
 * @module scripts/stop-signals
 * How the long-running local scripts (`npm start`, `npm run dev`, the local runtime)
 * learn that they should stop: SIGINT, SIGTERM or SIGHUP, or their parent going away
 * (npm or a shell killed outright would otherwise leave them running, orphaned). The
 * first request starts a graceful stop. A terminal's Ctrl-C reaches the whole
 * foreground group and npm forwards it again, so a repeat within a second is the same
 * request; a later one means "now", and the script kills what it started at once and exits 128 + the number of the
 * signal it got (SIGINT 130, SIGTERM 143, SIGHUP 129: what a shell reports for a process that signal ended; it was 130
 * whatever the signal, so a supervisor sending SIGTERM twice read an interrupt). Output nobody reads any more is
 * dropped, not fatal: a closed terminal (SIGHUP; the tty then fails every write) or a reader gone from a pipe made the
 * stop's first line an unhandled EPIPE/EIO, which killed `npm start` before its agents had drained.
 */
import { constants } from "node:os";

/** 1 s: a terminal's signal and npm's forwarded copy arrive within milliseconds; a person's second Ctrl-C does not. */
const REPEAT_WINDOW_MS = 1_000;
/** 1 s: how often the parent is checked; an orphaned stop that starts a second late costs nothing. */
const PARENT_POLL_MS = 1_000;

export interface StopHandlers {
  /** Begin a graceful stop (called once). */
  stop: (why: string) => void;
  /**
   * A second request while stopping: stop everything now (SIGKILL) and exit with `exitCode` — 128 + the number of the
   * signal that asked (`stopExitCode`).
   */
  force: (why: string, exitCode: number) => void;
}

/** What can ask for a stop: a signal, or the parent going away (`PARENT_EXITED`). */
export type StopReason = "SIGINT" | "SIGTERM" | "SIGHUP" | typeof PARENT_EXITED;
export const PARENT_EXITED = "parent exited";

/**
 * The exit code of a process a stop request ended without finishing its stop: 128 + the signal's number, as a shell
 * reports a process that signal killed (SIGINT 130, SIGTERM 143, SIGHUP 129). A parent gone is a hangup of what started
 * this process, so it reads as SIGHUP's 129 (the agent's `run --parent-pid` alike: agent/close-codes signalExitCode).
 */
export function stopExitCode(why: StopReason): number {
  const sig = why === PARENT_EXITED ? "SIGHUP" : why;
  return 128 + constants.signals[sig];
}

/**
 * How a child process ended, as `npm start` says it ("demo-gpu exited with code 3", "… was killed by SIGKILL"): a
 * process a signal ended has no exit code, and "exited with code null" named neither what ended it nor that it was
 * killed. Arguments as a ChildProcess's `exit` event gives them.
 */
export function endedWords(code: number | null, signal: NodeJS.Signals | null): string {
  return code === null && signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Installs the signal handlers and the parent watch; returns a function that removes them. `parent` is the pid whose
 * exit is a stop request: by default this process's parent as it is now, but a process that installs this only once
 * it has started (the local runtime: after Miniflare is ready) is told its starter's pid, since by then an orphan's
 * parent is already init and nothing would ever change (agent/parent-watch, for the same reason). `repeatWindowMs`:
 * how long after the first request a second one is still the same request (tests pass 0).
 */
export function onStopRequest(
  handlers: StopHandlers,
  parent: number = process.ppid,
  repeatWindowMs: number = REPEAT_WINDOW_MS,
): () => void {
  outliveLostOutput();
  let firstAt: number | undefined;
  const request = (why: StopReason) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      handlers.stop(why);
    } else if (Date.now() - firstAt >= repeatWindowMs) {
      handlers.force(why, stopExitCode(why));
    }
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const listeners = signals.map((sig) => {
    const listener = () => request(sig);
    process.on(sig, listener);
    return [sig, listener] as const;
  });
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    request(PARENT_EXITED);
  }, PARENT_POLL_MS);
  watch.unref();
  return () => {
    clearInterval(watch);
    for (const [sig, listener] of listeners) process.off(sig, listener);
  };
}

/**
 * Makes a write to stdout or stderr that fails (EPIPE: the reader is gone; EIO: the terminal hung up) a lost line
 * instead of an unhandled 'error' event, which ends the process wherever it is — in `npm start`'s case midway through
 * its stop, its coordinator then stopping under agents still releasing their jobs. Idempotent.
 */
export function outliveLostOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners("error").includes(dropLostOutput)) stream.on("error", dropLostOutput);
  }
}

function dropLostOutput(): void {
  /* nowhere left to write to: the line is lost, the process goes on */
}
