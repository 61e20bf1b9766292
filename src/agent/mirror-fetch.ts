/**
 * @module agent/mirror-fetch
 * Bringing a repository's shared mirror up to date with origin before a job starts from it (agent/workspace), and
 * the commit a new job starts from: origin's default branch as origin names it in this very fetch. The mirror's own
 * `HEAD` is not asked: every job's engine can rewrite it (`git symbolic-ref HEAD refs/heads/x` in its worktree's
 * common dir), and it was what picked the branch, so one engine made every later job of that repository on the host
 * start from (and diff against) another branch. The fetch also takes `HEAD:` into ORIGIN_HEAD — the same
 * connection, no extra round trip — and so follows origin when its default branch changes.
 * A `shallow` file planted in the mirror (or left by an engine's `git fetch --depth`) made git take the history
 * as cut: every later job's checkpoint push to the host's checkpoint remote was refused ("shallow update not
 * allowed") and its merge-base stopped at the cut. The fetch then also deepens to origin's whole history, and what is
 * left of the file (commits origin does not have) is removed. A ref naming an object the mirror lacks failed every
 * later fetch; after such a failure those refs are dropped and the fetch runs once more.
 */
import { lstatSync } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { GitError, git, gitOk, withLockRetry } from "./git.ts";
import { hideUserinfo } from "./git-env.ts";
import { gitRemote } from "./git-remote.ts";
import { ORIGIN_FETCH } from "./mirror-hygiene.ts";
import { removeWorkTree } from "./workspace-removal.ts";

/** The mirror's copy of origin's `HEAD` (its default branch's commit), as of the last preparation's fetch. */
export const ORIGIN_HEAD = "refs/gf/origin-head";

/**
 * Fetch every branch of origin (pruned, no tags) and its `HEAD` into `mirror`, as `as` (its owner), with the
 * mirror's lock held (`env`: what reading `repo` needs, agent/local-trust); the sha of origin's default branch.
 * Throws Error "has no commits on its default branch" when origin's HEAD names no commit, GitError when the fetch
 * fails otherwise.
 */
export async function fetchOrigin(
  mirror: string,
  repo: string,
  as: RunAs | undefined,
  env: Record<string, string> = {},
): Promise<string> {
  const shallow = path.join(mirror, "shallow");
  const planted = lstatSync(shallow, { throwIfNoEntry: false });
  // Not a file (a directory, a link): no list git could read, and git would fail reading it on every fetch.
  // Removed inside the sandbox in sandbox mode (agent/workspace-removal): a walk by path outside it follows a link an
  // engine swaps in meanwhile.
  if (planted && !planted.isFile()) await removeWorkTree(shallow, as);
  const deepen = planted?.isFile() ? ["--unshallow"] : [];
  const args = ["fetch", "-q", "--prune", "--no-tags", ...deepen, "origin", ORIGIN_FETCH, `+HEAD:${ORIGIN_HEAD}`];
  const fetch = () => withLockRetry(() => gitRemote(args, { cwd: mirror, as, env }), 4, [mirror], as);
  try {
    await fetch().catch(async (err: unknown) => {
      if (!(err instanceof GitError && /fatal: bad object /.test(err.stderr))) throw err;
      await dropBrokenRefs(mirror, as);
      await fetch();
    });
  } catch (err) {
    if (err instanceof GitError && /couldn't find remote ref HEAD/.test(err.stderr)) throw noCommits(repo);
    throw err;
  }
  // What origin did not know of the list (made up, or the engine's own commits) is no cut in origin's history.
  if (deepen.length > 0) await removeWorkTree(shallow, as);
  return git(["rev-parse", "--verify", `${ORIGIN_HEAD}^{commit}`], { cwd: mirror, as }).catch(() => {
    throw noCommits(repo);
  });
}

/**
 * Delete every ref of `mirror` naming an object it does not have (written by hand into `refs/` or `packed-refs`, or
 * left by a store it borrowed from and lost), and point a detached HEAD naming none back at a branch: the fetch's
 * connectivity check walks every ref, so one such ref failed every later fetch ("fatal: bad object refs/…"), for good.
 * Only after a fetch failed so: costs nothing otherwise. Throws GitError when git fails.
 */
async function dropBrokenRefs(mirror: string, as: RunAs | undefined): Promise<void> {
  const opts = { cwd: mirror, as };
  const refs = (await git(["for-each-ref", "--format=%(objectname) %(refname)"], opts))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(" ") as [string, string]);
  const input = refs.map(([sha]) => `${sha}\n`).join("");
  const found = (await git(["cat-file", "--batch-check=%(objectname)"], { ...opts, input })).split("\n");
  const broken = refs.filter((_, i) => found[i]?.endsWith(" missing")).map(([, ref]) => `delete ${ref}\n`);
  if (broken.length > 0) await git(["update-ref", "--no-deref", "--stdin"], { ...opts, input: broken.join("") });
  const detached = !(await gitOk(["symbolic-ref", "-q", "HEAD"], opts));
  if (detached && !(await gitOk(["cat-file", "-e", "HEAD"], opts)))
    await git(["symbolic-ref", "HEAD", "refs/heads/main"], opts);
}

function noCommits(repo: string): Error {
  return new Error(`repository ${hideUserinfo(repo)} has no commits on its default branch`);
}
