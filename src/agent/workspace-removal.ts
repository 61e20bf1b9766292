/**
 * @module agent/workspace-removal
 * Removing a tree an engine wrote (a job's workspace, a kept one) when the agent is that engine's user. An engine
 * may leave directories without write permission — Go's module cache (`GOMODCACHE` under the workspace) is made
 * read-only on purpose, as are test fixtures a build `chmod -w`s — and the owner itself cannot unlink what such a
 * directory holds: the recursive removal failed with EACCES, the workspace stayed, and every later preparation of
 * the job on the host failed on it ("could not prepare the workspace: EACCES"). So the directories get their
 * owner's write and search bits back first. With an engine user, agent/engine-user `removeTree` already finishes as
 * the agent (root), which permissions do not stop.
 *
 * In the sandbox (agent/sandbox) the tree is removed inside it too (`removeInSandbox`), as the engine's own removal
 * would be: node's recursive `rmSync` walks by path (lstat, readdir, then each child by its full path), so an engine
 * still running — another seat's — that swapped a directory of the tree for a link between the walk's lstat and its
 * readdir, or mid-readdir, had the agent delete what the link led to: the state dir (the factory token, the job
 * records) or the agent's installation, which the engine itself cannot reach. Inside, the state dir is an empty
 * tmpfs and the installation read-only, whatever a link leads to.
 */
import { spawn } from "node:child_process";
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readdirSync } from "node:fs";
import path from "node:path";
import { type RunAs, removeTree } from "./engine-user.ts";
import { type Sandbox, sandboxedArgv } from "./sandbox.ts";

/** The sandbox removals run in (agent/sandbox); set once at start-up. */
let removalSandbox: Sandbox | undefined;

/** From now on, remove trees inside `box` (undefined: directly). The agent calls it beside agent/git's. */
export function removeInSandbox(box: Sandbox | undefined): void {
  removalSandbox = box;
}

/**
 * `rm -rf` inside the sandbox, and on failure once more after `chmod -R u+rwx` (read-only directories an engine
 * left): both walk by descriptor (fts), follow no link met, and see only what an engine sees. Rejects with rm's own
 * words when the tree stays.
 */
function removeInside(dir: string, box: Sandbox): Promise<void> {
  const script = 'rm -rf -- "$1" 2>/dev/null || { chmod -R u+rwx -- "$1" 2>/dev/null; rm -rf -- "$1"; }';
  const [cmd, ...args] = sandboxedArgv(["sh", "-c", script, "sh", dir], box);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, { stdio: ["ignore", "ignore", "pipe"] });
    let said = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (said.length < 4096) said += d; // the first lines say why: enough for the error
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`cannot remove ${dir}: ${said.trim() || `rm exited with ${code}`}`));
    });
  });
}

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
 * common case costs no second walk). In the sandbox (`removeInSandbox`, no `as`), removed inside it. Throws what
 * `removeTree` throws then, or an Error naming `dir` and rm's words when the sandboxed removal leaves it.
 */
export async function removeWorkTree(dir: string, as: RunAs | undefined): Promise<void> {
  if (!as && removalSandbox) {
    // Nothing there (most preparations): no sandbox to start.
    if (lstatSync(dir, { throwIfNoEntry: false })) await removeInside(dir, removalSandbox);
    return;
  }
  try {
    await removeTree(dir, as);
  } catch (err) {
    if (as) throw err;
    makeRemovable(dir);
    await removeTree(dir, as);
  }
}
