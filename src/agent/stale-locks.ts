/**
 * @module agent/stale-locks
 * Git lock files an engine left behind. git takes `<gitdir>/index.lock` (and `HEAD.lock`, a branch's `.lock`) for
 * the length of one command and removes it on exit; one killed mid-command (an engine's tool timeout, a SIGKILLed
 * engine) leaves it, and every later command that writes the index fails with "Unable to create … File exists" —
 * among them the final checkpoint's `reset`, so the run's last work would never be committed. git records no owner
 * in its locks, so "no live owner" is decided from what the agent knows: once the engine has exited (its process
 * group was signalled) nothing of the job's may hold one; while it runs, only a lock older than any git command
 * lasts is stale.
 */
import { lstatSync, rmSync } from "node:fs";
import path from "node:path";

/** 10 min: no git command an engine runs holds the index that long (a commit waiting on an editor is the exception). */
export const STALE_LOCK_MS = 10 * 60_000;

/**
 * Whether a lock `ageMs` old (ms since its mtime) has no live owner: always once `engineGone`, else past
 * STALE_LOCK_MS. Pure.
 */
export function isStaleLock(ageMs: number, engineGone: boolean): boolean {
  return engineGone || ageMs >= STALE_LOCK_MS;
}

/**
 * The job's own lock files under `gitDir` (the worktree's admin dir: index, HEAD) and `commonDir` (the job branch's
 * ref: only ours, never another seat's refs in a shared mirror).
 */
export function jobLockFiles(gitDir: string, commonDir: string, branch: string | undefined): string[] {
  const locks = [path.join(gitDir, "index.lock"), path.join(gitDir, "HEAD.lock")];
  if (branch) locks.push(path.join(commonDir, "refs", "heads", `${branch}.lock`));
  return locks;
}

/**
 * Remove each of `locks` that exists and is stale at `now` (ms since the epoch); returns the paths removed. A lock
 * that is not a plain file (a planted link or directory) is left alone: removing it is not ours to decide.
 */
export function clearStaleLocks(locks: readonly string[], now: number, engineGone: boolean): string[] {
  const removed: string[] = [];
  for (const lock of locks) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(lock);
    } catch {
      continue; // no lock: the common case
    }
    if (!st.isFile() || !isStaleLock(now - st.mtimeMs, engineGone)) continue;
    rmSync(lock, { force: true });
    removed.push(lock);
  }
  return removed;
}
