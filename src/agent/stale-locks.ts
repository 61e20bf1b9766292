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
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";

/** 10 min: no git command an engine runs holds the index that long (a commit waiting on an editor is the exception). */
export const STALE_LOCK_MS = 10 * 60_000;

/**
 * Whether a lock `ageMs` old (ms since its mtime; negative: dated in the future) has no live owner: always once
 * `engineGone`, else past STALE_LOCK_MS either way. A lock dated further ahead than that was no git command's (git
 * takes its locks "now"): an engine's `touch -d 2099 …lock` would otherwise never age, and every later command that
 * needs the lock — a mirror's fetch, for each job of that repository on the host — would fail for good. Pure.
 */
export function isStaleLock(ageMs: number, engineGone: boolean): boolean {
  return engineGone || Math.abs(ageMs) >= STALE_LOCK_MS;
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

/** Unlink `file` as `as` (the engine's user owns its repositories: the agent, often root, must not follow its links). */
function unlinkAs(file: string, as: RunAs | undefined): boolean {
  if (!as) {
    rmSync(file, { force: true });
    return true;
  }
  // Bounded (10 s): a repository on a hung mount must not stop the agent; the lock then reads as still there.
  spawnSync("rm", ["-f", "--", file], {
    uid: as.uid,
    gid: as.gid,
    stdio: "ignore",
    timeout: 10_000,
    killSignal: "SIGKILL",
  });
  return !existsSync(file);
}

/**
 * Remove each of `locks` that exists and is stale at `now` (ms since the epoch), as `as` (the repository's owner;
 * undefined = the agent); returns the paths removed. A lock that is not a plain file (a planted link or directory)
 * is left alone: removing it is not ours to decide.
 */
export function clearStaleLocks(locks: readonly string[], now: number, engineGone: boolean, as?: RunAs): string[] {
  const removed: string[] = [];
  for (const lock of locks) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(lock);
    } catch {
      continue; // no lock: the common case
    }
    if (!st.isFile() || !isStaleLock(now - st.mtimeMs, engineGone)) continue;
    if (unlinkAs(lock, as)) removed.push(lock);
  }
  return removed;
}

/**
 * The lock a git error names ("Unable to create '<path>.lock': File exists", also relayed as `remote: …` by a push
 * to a local repository), resolved; undefined when it names none.
 */
export function lockPathOf(stderr: string): string | undefined {
  const m = /Unable to create '([^']+\.lock)': File exists/.exec(stderr);
  return m?.[1] ? path.resolve(m[1]) : undefined;
}

/**
 * After a lock clash: remove the lock `stderr` names when it lies under one of `within` (repositories that are the
 * agent's own: its mirror, its checkpoint remote — never a lock git reports from someone else's) and is older than
 * STALE_LOCK_MS at `now` (ms), as `as` (their owner). A crashed agent's push or fetch leaves one, and every later one fails on it. Returns
 * the path removed, or undefined.
 */
export function clearNamedStaleLock(
  stderr: string,
  within: readonly string[],
  now: number,
  as?: RunAs,
): string | undefined {
  const lock = lockPathOf(stderr);
  if (!lock) return undefined;
  const ours = within.some((dir) => lock.startsWith(`${path.resolve(dir)}${path.sep}`) && reallyInside(lock, dir));
  return ours ? clearStaleLocks([lock], now, false, as)[0] : undefined;
}

/**
 * Whether `lock`'s directory, its links resolved, is still `dir` or under it (both real paths). An engine writes the
 * repositories `within` names (a mirror's refs): a directory of theirs made a link (`refs/remotes/origin` → a
 * project dir) lets git name a lock there — a `Cargo.lock` beside the project, for an origin branch `Cargo` — which
 * the agent, outside the sandbox, removed by path. False when either cannot be resolved.
 */
function reallyInside(lock: string, dir: string): boolean {
  try {
    const real = realpathSync(dir);
    const parent = realpathSync(path.dirname(lock));
    return parent === real || parent.startsWith(`${real}${path.sep}`);
  } catch {
    return false;
  }
}
