/**
 * @module agent/mirror-ready
 * A repository's mirror made ready for a job's preparation (agent/workspace), with the mirror's lock held: its HEAD
 * put back (agent/mirror-head), cloned when there is none yet (agent/mirror-clone), and cleaned of what earlier jobs'
 * engines configured (agent/mirror-hygiene). A mirror an engine left unreadable to git — a `config` line git cannot
 * parse, a line of garbage in `packed-refs`, a repository version or extension git refuses — failed every later job of
 * that repository on the host for good, each on the cleaning's first git command. Once no job runs from it, such a
 * mirror is removed and cloned afresh instead; while one does, the preparation fails as before (a retry comes later).
 * So is one where the cleaning's git ran out of time (agent/git-bounds `git_timeout`): a FIFO an engine put in place
 * of `config` or `packed-refs` makes every git there wait for a writer, and no healthy mirror takes minutes to config.
 */
import { existsSync, lstatSync } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { GitError } from "./git.ts";
import { GIT_TIMEOUT } from "./git-bounds.ts";
import { cloneMirror } from "./mirror-clone.ts";
import { markMirrorUsed } from "./mirror-eviction.ts";
import { repairHead, worktreeOnDisk } from "./mirror-head.ts";
import { cleanMirror } from "./mirror-hygiene.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/** git's words for a repository it cannot read at all (never a lock clash, never the network). */
const UNREADABLE =
  /bad config line|bad numeric config value|unexpected line in \S*packed-refs|not a git repository|can only be used inside a git repository|git repo version|repository extension/i;

/** Whether `err` is git refusing to read the repository at all, or hanging on it until stopped at its bound. */
function unreadable(err: unknown): boolean {
  if (!(err instanceof GitError)) return false;
  if (err.code === GIT_TIMEOUT) return true;
  return !/\.lock\b/.test(err.stderr) && UNREADABLE.test(`${err.stderr}\n${err.message}`);
}

/**
 * Make `mirror` a clean bare clone of `repo` owned by `as`, and mark it used now; whether it was cloned (afresh).
 * `env`: for the clone, what reading `repo` needs (agent/local-trust). Call with the mirror's lock held. Throws GitError when the clone or the cleaning fails.
 */
export async function readyMirror(
  repo: string,
  mirror: string,
  as: RunAs | undefined,
  env: Record<string, string> = {},
): Promise<boolean> {
  // Not a directory — a link an engine put in its place (mirrors/ is writable by the engines that run from it), a
  // file: removed (the link itself, never followed, never what it leads to) and cloned afresh below. Followed, it had
  // the agent repair, clean, clear locks in and remove from whatever directory it named.
  const st = lstatSync(mirror, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) await removeWorkTree(mirror, as);
  await repairHead(mirror, as);
  let cloned = false;
  if (!existsSync(path.join(mirror, "HEAD"))) {
    await cloneMirror(repo, mirror, as, env);
    cloned = true;
  }
  markMirrorUsed(mirror, Date.now());
  try {
    await cleanMirror(mirror, as, repo); // what an earlier job's engine configured must not reach this job's
  } catch (err) {
    if (cloned || !unreadable(err) || worktreeOnDisk(mirror)) throw err;
    await removeWorkTree(mirror, as); // in the sandbox, inside it: a job's engine may still write there
    await cloneMirror(repo, mirror, as, env);
    await cleanMirror(mirror, as, repo);
    cloned = true;
  }
  return cloned;
}
