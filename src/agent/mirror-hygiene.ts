/**
 * @module agent/mirror-hygiene
 * A repository's mirror is shared by every job of that repository on this host, and a job's worktree reads (and
 * `git config` without `--worktree` writes) the mirror's `config` and `info/exclude`. So one job's engine running
 * `git config core.excludesFile …` or writing `info/exclude` would change what the next job's engine sees. Each
 * workspace preparation puts both back: the config keeps only what `git clone --bare` and the agent wrote.
 * (The agent's own checkpoints do not depend on this: agent/git-neutral and agent/embedded-repos ignore both.)
 */
import { lstatSync, rmSync, type Stats } from "node:fs";
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
 * Put the mirror's `config` (origin reset to `repo`; keys outside KEPT removed) and `info/exclude` (removed) back to what the agent made,
 * as `as` (the mirror's owner); the keys removed. Call with the mirror's lock held. Throws GitError when git fails.
 */
export async function cleanMirror(mirror: string, as: RunAs | undefined, repo: string): Promise<string[]> {
  const opts = { cwd: mirror, as };
  // Kept keys keep their names, not whatever value an engine gave them: `origin` pointed elsewhere would take the
  // next job's fetch and its checkpoint pushes. Set on every preparation; these are the values a live job has too.
  await git(["config", "--local", "remote.origin.url", repo], opts);
  await git(["config", "--local", "--replace-all", "remote.origin.fetch", ORIGIN_FETCH], opts);
  await git(["config", "--local", "core.bare", "true"], opts);
  // A job still running reads this config too (its engine's `user.email`, hooks): clean only when none does.
  if (await otherWorktreesLive(mirror, as)) return [];
  const removed = await foreignKeys(mirror, as);
  for (const key of removed) await git(["config", "--local", "--unset-all", key], opts);
  removeExclude(path.join(mirror, "info", "exclude"));
  return removed;
}

/** The refspec `prepareRepo` gives a new mirror: every branch of origin as a remote-tracking ref. */
export const ORIGIN_FETCH = "+refs/heads/*:refs/remotes/origin/*";

/**
 * Whether a worktree of the mirror other than itself is registered and still on disk (a job running here). Throws
 * GitError when git fails.
 */
export async function otherWorktreesLive(mirror: string, as: RunAs | undefined): Promise<boolean> {
  const out = await git(["worktree", "list", "--porcelain"], { cwd: mirror, as });
  const trees = out
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice("worktree ".length));
  return trees.some((t) => path.resolve(t) !== path.resolve(mirror) && lstatOrUndefined(t) !== undefined);
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Remove `file` (a mirror's `info/exclude`; git needs none) without writing through anything an engine planted: a
 * link at `info/` is removed, and the file is unlinked, never truncated — truncating a hard link (which O_NOFOLLOW
 * does not refuse) would empty the other file it names, as the agent (often root).
 */
function removeExclude(file: string): void {
  const info = path.dirname(file);
  if (lstatOrUndefined(info)?.isSymbolicLink()) rmSync(info, { force: true });
  const st = lstatOrUndefined(file);
  if (st) rmSync(file, { force: true, recursive: st.isDirectory() });
}
