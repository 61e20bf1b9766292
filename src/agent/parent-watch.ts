/**
 * @module agent/parent-watch
 * `run --parent-pid PID`: the agent drains once PID is no longer its parent. A supervisor that runs its agents in
 * their own process groups (`npm start`, so that a terminal's Ctrl-C reaches it alone and it drains each agent once)
 * can stop nothing when it is itself killed outright (SIGKILL, the OOM killer): its agents ran on, orphaned,
 * retrying a coordinator that had gone with it and holding their state dirs, so the next start's agents were refused
 * (`state_in_use`). An orphan is reparented (to init or a subreaper), so its parent is no longer PID. The supervisor
 * names itself rather than the agent reading its parent at start: one killed while the agent was still starting
 * would otherwise be taken for a parent that never left.
 */

import { UsageError } from "./cli-args.ts";

/** 1 s: how often the parent is checked; a drain that starts a second after the supervisor died costs nothing. */
export const PARENT_POLL_MS = 1_000;

/** `--parent-pid`'s value as a pid. @throws UsageError — not a whole number from 2 up (1 is init: never a supervisor). */
export function parentPid(value: string): number {
  const pid = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(pid) || pid < 2) throw new UsageError(`--parent-pid must be a process id; got ${value}`);
  return pid;
}

/**
 * Calls `onGone` once, at the first check (every `everyMs`, the first one `everyMs` from now) that finds `ppid()` is
 * not `parent` — already at the first one when it had gone before the call. Returns a function that stops watching.
 * The timer does not keep the process alive on its own.
 */
export function watchParent(
  parent: number,
  onGone: () => void,
  ppid: () => number = () => process.ppid,
  everyMs: number = PARENT_POLL_MS,
): () => void {
  const timer = setInterval(() => {
    if (ppid() === parent) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
