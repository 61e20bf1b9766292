/**
 * @module agent/workspace-removal
 * Removing a tree an engine wrote (a job's workspace, a kept one) when the agent is that engine's user. An engine
 * may leave directories without write permission — Go's module cache (`GOMODCACHE` under the workspace) is made
 * read-only on purpose, as are test fixtures a build `chmod -w`s — and the owner itself cannot unlink what such a
 * directory holds: the recursive removal failed with EACCES, the workspace stayed, and every later preparation of
 * the job on the host failed on it ("could not prepare the workspace: EACCES"). So the directories get their
 * owner's write and search bits back first. With an engine user, agent/engine-user `removeTree` already finishes as
 * the agent (root), which permissions do not stop.
 */
import { closeSync, constants, fchmodSync, fstatSync, openSync, readdirSync } from "node:fs";
import path from "node:path";
import { type RunAs, removeTree } from "./engine-user.ts";

/** A directory opened as itself: never through a link an engine swapped in (O_NOFOLLOW), never a file. */
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Give `dir` and every directory under it the owner's rwx bits. Each is changed through a descriptor of the directory
 * itself, from its own mode: a directory swapped for a link meanwhile is skipped, and whatever a link in a parent
 * leads to only ever gains its owner's bits, which its owner (the agent) holds anyway. Never throws: what cannot be
 * opened (no read bit, another user's) is left for the removal to report.
 */
function makeRemovable(dir: string): void {
  const pending = [dir];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let fd: number | undefined;
    try {
      fd = openSync(next, DIR_FLAGS);
      const mode = fstatSync(fd).mode & 0o7777;
      if ((mode & 0o700) !== 0o700) fchmodSync(fd, mode | 0o700);
      for (const e of readdirSync(next, { withFileTypes: true }))
        if (e.isDirectory()) pending.push(path.join(next, e.name));
    } catch {
      /* a file, a link, gone meanwhile, or not ours: the removal says so */
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/**
 * Remove the tree at `dir` as `as` (agent/engine-user `removeTree`), read-only directories the engine left
 * included: when a removal as the agent fails, the directories are made writable and it is tried once more (the
 * common case costs no second walk). Throws what `removeTree` throws then.
 */
export async function removeWorkTree(dir: string, as: RunAs | undefined): Promise<void> {
  try {
    await removeTree(dir, as);
  } catch (err) {
    if (as) throw err;
    makeRemovable(dir);
    await removeTree(dir, as);
  }
}
