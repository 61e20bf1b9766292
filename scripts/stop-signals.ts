/**
 * @module scripts/stop-signals
 * How the long-running local scripts (`npm start`, `npm run dev`, the local runtime)
 * learn that they should stop: SIGINT, SIGTERM or SIGHUP, or their parent going away
 * (npm or a shell killed outright would otherwise leave them running, orphaned). The
 * first request starts a graceful stop. A terminal's Ctrl-C reaches the whole
 * foreground group and npm forwards it again, so a repeat within a second is the same
 * request; a later one means "now", and the script kills what it started at once. Output nobody reads any more is
 * dropped, not fatal: a closed terminal (SIGHUP; the tty then fails every write) or a reader gone from a pipe made the
 * stop's first line an unhandled EPIPE/EIO, which killed `npm start` before its agents had drained.
 */

/** 1 s: a terminal's signal and npm's forwarded copy arrive within milliseconds; a person's second Ctrl-C does not. */
const REPEAT_WINDOW_MS = 1_000;
/** 1 s: how often the parent is checked; an orphaned stop that starts a second late costs nothing. */
const PARENT_POLL_MS = 1_000;

export interface StopHandlers {
  /** Begin a graceful stop (called once). */
  stop: (why: string) => void;
  /** A second request while stopping: stop everything now (SIGKILL) and exit. */
  force: (why: string) => void;
}

/**
 * Installs the signal handlers and the parent watch; returns a function that removes them. `parent` is the pid whose
 * exit is a stop request: by default this process's parent as it is now, but a process that installs this only once
 * it has started (the local runtime: after Miniflare is ready) is told its starter's pid, since by then an orphan's
 * parent is already init and nothing would ever change (agent/parent-watch, for the same reason).
 */
export function onStopRequest(handlers: StopHandlers, parent: number = process.ppid): () => void {
  outliveLostOutput();
  let firstAt: number | undefined;
  const request = (why: string) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      handlers.stop(why);
    } else if (Date.now() - firstAt > REPEAT_WINDOW_MS) {
      handlers.force(why);
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
    request("parent exited");
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
