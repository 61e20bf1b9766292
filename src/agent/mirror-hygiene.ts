/**
 * @module agent/mirror-hygiene
 * A repository's mirror is shared by every job of that repository on this host, and a job's worktree reads (and
 * `git config` without `--worktree` writes) the mirror's `config` and `info/exclude`. So one job's engine running
 * `git config core.excludesFile …` or writing `info/exclude` would change what the next job's engine sees. Each
 * workspace preparation puts both back: the config keeps only what `git clone --bare` and the agent wrote.
 * (The agent's own checkpoints do not depend on this: agent/git-neutral and agent/embedded-repos ignore both.)
 * The rest of the common dir an engine can plant in, and git obeys, goes too. At every preparation, as it misleads
 * the agent's own git (which no `-c` turns off): `info/grafts` (rewrites parents: a resumed job's diff base),
 * `info/attributes` (rewrites the next job's checkout and what its checkpoint stores: `* text eol=crlf`), and
 * `objects/info/alternates` (objects the mirror only borrows: a fetch skips what the borrowed store has, and once the
 * engine's store is gone, every job that checked those objects out loses them) — its objects are copied in first,
 * so a job still running keeps every object it saw. Once no job runs from the mirror: `hooks/` (the next job's engine
 * ran the previous engine's hooks on its own commits) and `refs/replace/*` (the next engine read replaced commits
 * and files; the agent's git ignores them already).
 */
import { lstatSync, rmSync, type Stats } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { git, gitOk } from "./git.ts";
import { GIT_REMOTE_TIMEOUT_MS } from "./git-bounds.ts";
import { mirrorIsDir } from "./mirror-head.ts";
import { clearStaleLocks } from "./stale-locks.ts";
import { removeWorkTree } from "./workspace-removal.ts";

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
 * as `as` (the mirror's owner); the keys removed. Call with the mirror's lock held. Throws GitError when git fails,
 * Error when `mirror` is no directory of its own (a link).
 */
export async function cleanMirror(mirror: string, as: RunAs | undefined, repo: string): Promise<string[]> {
  const opts = { cwd: mirror, as };
  // A link in the mirror's place (agent/mirror-ready replaces one it finds first) is never cleaned through.
  if (!mirrorIsDir(mirror)) throw new Error(`mirror ${mirror} is not a directory (a link an engine put there?)`);
  // A `git config` here killed mid-write (the agent SIGKILLed) left its lock: each later one failed "could not lock
  // config file" for good (git names it relative to the mirror, so agent/git's lock-clash retry cannot place it).
  clearStaleLocks([path.join(mirror, "config.lock")], Date.now(), false, as);
  // Kept keys keep their names, not whatever value an engine gave them: `origin` pointed elsewhere would take the
  // next job's fetch and its checkpoint pushes. Set on every preparation; these are the values a live job has too.
  await git(["config", "--local", "remote.origin.url", repo], opts);
  await git(["config", "--local", "--replace-all", "remote.origin.fetch", ORIGIN_FETCH], opts);
  await git(["config", "--local", "core.bare", "true"], opts);
  await ownObjects(mirror, as);
  for (const rel of ["info/grafts", "info/attributes"]) await removePlanted(mirror, rel, as);
  // A job still running reads this config too (its engine's `user.email`, hooks): clean only when none does.
  if (await otherWorktreesLive(mirror, as)) return [];
  const removed = await foreignKeys(mirror, as);
  for (const key of removed) await git(["config", "--local", "--unset-all", key], opts);
  await removePlanted(mirror, "info/exclude", as);
  await removePlanted(mirror, "hooks", as);
  const replaced = await git(["for-each-ref", "--format=delete %(refname)", "refs/replace/"], opts);
  if (replaced !== "") await git(["update-ref", "--stdin"], { ...opts, input: `${replaced}\n` });
  return removed;
}

/**
 * Copy every object the mirror borrows through `objects/info/alternates` into its own packs (`repack -a`: a job
 * running from it keeps them), then drop the file. Costs nothing when there is none (one lstat). Never throws: a
 * repack that fails (a borrowed store already gone) leaves what the next fetch brings back.
 */
async function ownObjects(mirror: string, as: RunAs | undefined): Promise<void> {
  if (!lstatOrUndefined(path.join(mirror, "objects", "info", "alternates"))) return;
  // A clone's bound, not a local command's (agent/git-bounds): it copies a whole borrowed object store.
  await gitOk(["repack", "-a", "-d", "-q"], { cwd: mirror, as, timeoutMs: GIT_REMOTE_TIMEOUT_MS });
  await removePlanted(mirror, "objects/info/alternates", as);
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
 * Remove `rel` (a `/`-separated path in `mirror` that git needs none of: `info/exclude`, `hooks`), file or tree, as
 * `as` (agent/workspace-removal `removeWorkTree`), without going through anything an engine planted: a link among its
 * parents is never followed (a link at `info/`, which git needs none of either, is removed; git follows it), and the
 * file is unlinked, never truncated — truncating a hard link (which O_NOFOLLOW does not refuse) would empty the other
 * file it names, as the agent.
 */
async function removePlanted(mirror: string, rel: string, as: RunAs | undefined): Promise<void> {
  let dir = mirror;
  for (const part of rel.split("/").slice(0, -1)) {
    dir = path.join(dir, part);
    if (!lstatOrUndefined(dir)?.isSymbolicLink()) continue;
    if (dir === path.join(mirror, "info")) rmSync(dir, { force: true });
    return;
  }
  // In the sandbox, inside it (agent/workspace-removal): `hooks` is a tree an engine may still be writing, and a walk
  // by path outside the sandbox follows a directory swapped for a link meanwhile.
  const target = path.join(mirror, rel);
  if (lstatOrUndefined(target)) await removeWorkTree(target, as);
}
