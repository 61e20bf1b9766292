/**
 * @module agent/git-bounds
 * How long one git command of the agent's may run (agent/git). Without a bound, a git that never ends held its job's
 * preparation (or checkpoint) for ever: git opening a FIFO an engine planted in a shared mirror (`config`,
 * `packed-refs`) waits for a writer that never comes, and a fetch that keeps trickling bytes never trips the silence
 * bound (agent/git-remote). The seat never freed, and as its lease was still renewed the coordinator never took the
 * job back. Every command now has a wall-clock bound — short for one that works on local files, longer for one that
 * talks to a remote — past which its whole process group is killed and it fails with GitError code `git_timeout`.
 */
import { afterPoll } from "../shared/after-poll.ts";

/**
 * 5 min: what a command on local files (config, refs, a checkout, a snapshot's `add -A`, a repack) may take. Well
 * past what any of them takes on a healthy disk, and below agent/stale-locks STALE_LOCK_MS (10 min), so a lock the
 * agent's own git holds is never old enough to be taken for a crashed one's and removed under it.
 */
export const GIT_LOCAL_TIMEOUT_MS = 5 * 60_000;

/**
 * 60 min: what a clone, fetch or push may take in all. A large repository over a slow link takes tens of minutes;
 * a silent peer is stopped far sooner by the stall bound (agent/git-remote REMOTE_STALL_MS), this ends one that
 * keeps writing a byte now and then.
 */
export const GIT_REMOTE_TIMEOUT_MS = 60 * 60_000;

/** The code of a GitError for a command stopped at its bound (in its message too: the job's failure message). */
export const GIT_TIMEOUT = "git_timeout";

/** The code of a GitError for a command stopped after its silence bound (agent/git-remote: the remote went quiet). */
export const GIT_STALLED = "git_stalled";

let localTimeoutMs = GIT_LOCAL_TIMEOUT_MS;

/** The bound a git command gets when its caller names none, ms: GIT_LOCAL_TIMEOUT_MS unless a test shortened it. */
export function gitLocalTimeoutMs(): number {
  return localTimeoutMs;
}

/** Set the bound of local git commands, ms (the agent keeps GIT_LOCAL_TIMEOUT_MS; tests shorten it to see one end). */
export function setGitLocalTimeoutMs(ms: number): void {
  localTimeoutMs = ms;
}

/** SIGKILL process group `pid` (git's, a session leader: agent/git-env NO_TERMINAL); never throws (it may be gone). */
export function killGroup(pid: number | undefined): void {
  try {
    if (pid !== undefined) process.kill(-pid, "SIGKILL");
  } catch {
    /* exited meanwhile */
  }
}

/**
 * The process groups of the git commands running now. Their bounds are this process's timers: a git still running
 * when the agent exits (a drain whose time ran out mid-push to a hung remote) ran on, orphaned, with no bound at all.
 */
const running = new Set<number>();

/** SIGKILL every git command still running, with all it started (agent/agent-exit, as the agent exits); how many. */
export function killRunningGit(): number {
  const n = running.size;
  for (const pid of running) killGroup(pid);
  running.clear();
  return n;
}

/** Why a git command was stopped: silent for `stallMs`, or still running at `timeoutMs`. */
export type Stopped = "stall" | "timeout";

export interface GitWatch {
  /** Call on every byte git writes: restarts the silence bound (never once either bound fired). */
  heard(): void;
  /** Why git was stopped, once it was. */
  stopped(): Stopped | undefined;
  /** Clear both timers (git exited). */
  clear(): void;
}

/** What watchGit reads of the git process (a ChildProcess): its pid, and whether its exit was seen. */
export interface WatchedGit {
  readonly pid?: number;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
}

/**
 * 2 s: how long the pipes of a git that exited within its wall bound may stay open (something it started holds them)
 * before it is stopped after all — without it, such a pipe held `close`, and the command, for ever.
 */
export const GIT_DRAIN_MS = 2_000;

/**
 * Watch git process `child`: kill its group (and call `onStop`) once it has written nothing for `stallMs` (undefined:
 * no silence bound), or has run `timeoutMs` in all, ms. Either bound judges git, not the agent's loop: a git that
 * wrote, or exited, before the bound is not stopped even when the loop read it only after the bound was due.
 */
export function watchGit(
  child: WatchedGit,
  bounds: { stallMs?: number; timeoutMs: number },
  onStop: () => void,
): GitWatch {
  const pid = child.pid;
  let why: Stopped | undefined;
  const stop = (reason: Stopped) => {
    if (why !== undefined) return;
    why = reason;
    killGroup(pid);
    onStop();
  };
  let heard = 0;
  let cleared = false;
  // The silence bound fires in the timers phase, which runs before the poll phase that reads git's pipes: with the
  // loop held past it (a loaded host), a git that wrote meanwhile — or wrote and exited — was stopped as silent. It
  // decides in the check phase (setImmediate), after a poll has read what was waiting: a byte heard meanwhile has
  // re-armed it (`heard`'s refresh).
  const silent = () => {
    const before = heard;
    setImmediate(() => {
      if (heard === before && !cleared) stop("stall");
    });
  };
  const stall = bounds.stallMs === undefined ? undefined : setTimeout(silent, bounds.stallMs);
  // The wall bound likewise decides in the check phase, after a poll has read git's exit (libuv's signal watcher): a
  // git that exited within its bound, its exit unread while the loop was held, was killed as `git_timeout`. Its
  // `close` waits for its pipes to drain, so the exit (exitCode/signalCode) is what says it ended; were its pipes
  // still held GIT_DRAIN_MS later, something it started holds them, and it is stopped (the check again after a poll).
  const overdue = () => {
    if (cleared) return;
    if (child.exitCode === null && child.signalCode === null) return stop("timeout");
    const held = () => {
      if (!cleared) stop("timeout");
    };
    wall = setTimeout(afterPoll(held), GIT_DRAIN_MS);
  };
  let wall = setTimeout(afterPoll(overdue), bounds.timeoutMs);
  if (pid !== undefined) running.add(pid);
  return {
    // (Never re-armed once stopped: refresh() would start a fired timer again.)
    heard: () => {
      heard += 1;
      if (why === undefined) stall?.refresh();
    },
    stopped: () => why,
    clear: () => {
      cleared = true;
      if (pid !== undefined) running.delete(pid);
      clearTimeout(stall);
      clearTimeout(wall);
    },
  };
}
