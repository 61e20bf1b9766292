/**
 * @module agent/mirror-hygiene
 * A repository's mirror is shared by every job of that repository on this host, and a job's worktree reads (and
 * `git config` without `--worktree` writes) the mirror's `config` and `info/exclude`. So one job's engine running
 * `git config core.excludesFile …` or writing `info/exclude` would change what the next job's engine sees. Each
 * workspace preparation puts both back: the config keeps only what `git clone --bare` and the agent wrote.
 * (The agent's own checkpoints do not depend on this: agent/git-neutral and agent/embedded-repos ignore both.)
 */
import { closeSync, constants, lstatSync, openSync, rmSync, type Stats } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { git } from "./git.ts";

/** Keys a mirror's config keeps: the repository's format, what init detected about the disk, and the origin. */
const KEPT = new Set([
  "core.repositoryformatversion",
  "core.filemode",
  "core.bare",
  "core.logallrefupdates",
  "core.ignorecase",
  "core.precomposeunicode",
  "core.symlinks",
  "remote.origin.url",
  "remote.origin.fetch",
]);

/** Every key of the mirror's own config outside KEPT and `extensions.*`, lower-cased as git lists them. */
async function foreignKeys(mirror: string, as: RunAs | undefined): Promise<string[]> {
  const out = await git(["config", "--local", "--list", "--name-only", "-z"], { cwd: mirror, as, raw: true });
  const keys = new Set(out.split("\0").filter((k) => k !== ""));
  return [...keys].filter((k) => !KEPT.has(k.toLowerCase()) && !k.toLowerCase().startsWith("extensions."));
}

/**
 * Put the mirror's `config` (keys outside KEPT removed) and `info/exclude` (emptied) back to what the agent made,
 * as `as` (the mirror's owner); the keys removed. Call with the mirror's lock held. Throws GitError when git fails.
 */
export async function cleanMirror(mirror: string, as: RunAs | undefined): Promise<string[]> {
  const removed = await foreignKeys(mirror, as);
  for (const key of removed) await git(["config", "--local", "--unset-all", key], { cwd: mirror, as });
  emptyExclude(path.join(mirror, "info", "exclude"));
  return removed;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Empty `file` (a mirror's `info/exclude`) without following a link an engine planted there: a link (at `info/`
 * or at the file) is removed, not written through; a regular file is truncated with O_NOFOLLOW.
 */
function emptyExclude(file: string): void {
  const info = path.dirname(file);
  if (lstatOrUndefined(info)?.isSymbolicLink()) rmSync(info, { force: true });
  const st = lstatOrUndefined(file);
  if (!st) return;
  if (!st.isFile()) {
    rmSync(file, { force: true, recursive: st.isDirectory() });
    return;
  }
  closeSync(openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_TRUNC));
}
