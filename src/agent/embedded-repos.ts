/**
 * @module agent/embedded-repos
 * A checkpoint's index, built with repositories nested in the workspace taken as plain files. An engine that runs
 * `git init` (or clones) inside the job's repo makes a nested repository, which `git add -A` records as a gitlink —
 * a commit id that exists only in the nested `.git`, so the work in it never reaches the checkpoint — or refuses
 * outright when it has no commit yet ("does not have a commit checked out"), failing every checkpoint after. Here
 * each nested repository is left out of the outer `add` and added on its own, its files written into the outer
 * repository's object store (the outer git dir with the nested dir as work tree: git never adds a `.git`), and its
 * tree grafted at its path. Its own history (`.git`) is what is skipped, and the caller is told which ones.
 * Repositories the base already tracks as gitlinks (real submodules) stay gitlinks.
 */
import { rmSync } from "node:fs";
import { type GitOptions, git } from "./git.ts";

/** Nesting deeper than this is left as the gitlink git makes of it (named in `skipped`). */
const MAX_DEPTH = 8;

export interface StagedTree {
  tree: string;
  /** Nested repositories (paths relative to the workspace, `/`-separated) whose files were captured. */
  embedded: string[];
  /** Nested repositories not captured (too deep), with why. */
  skipped: string[];
}

/** Untracked nested repositories under the work tree: `ls-files -o` lists each as one `dir/` entry. */
async function nestedRepos(opts: GitOptions): Promise<string[]> {
  const out = await git(["ls-files", "-z", "-o", "--exclude-standard"], { ...opts, raw: true });
  return out
    .split("\0")
    .filter((p) => p.endsWith("/"))
    .map((p) => p.slice(0, -1));
}

/**
 * Stage everything under `opts.cwd` into the index `opts.env.GIT_INDEX_FILE` and write its tree. `gitDir` (absolute)
 * is the outer repository's; `workTree` the absolute directory being staged (the workspace, or a nested repository
 * inside it); `prefix` its path in the workspace, for names.
 */
export async function stageTree(
  opts: GitOptions & { env: { GIT_INDEX_FILE: string } },
  gitDir: string,
  workTree: string,
  prefix = "",
  depth = 0,
): Promise<StagedTree> {
  const o: GitOptions = { ...opts, cwd: workTree, env: { ...opts.env, GIT_DIR: gitDir, GIT_WORK_TREE: workTree } };
  const nested = await nestedRepos(o);
  const excluded = nested.map((p) => `:(exclude,literal)${p}`);
  await git(["add", "-A", "--", ".", ...excluded], o);
  const result: StagedTree = { tree: "", embedded: [], skipped: [] };
  for (const rel of nested) {
    const name = `${prefix}${rel}`;
    if (depth + 1 > MAX_DEPTH) {
      result.skipped.push(`${name} (nested more than ${MAX_DEPTH} repositories deep)`);
      continue;
    }
    const subIndex = `${opts.env.GIT_INDEX_FILE}.${depth + 1}`;
    const sub = await stageTree(
      { ...opts, env: { ...opts.env, GIT_INDEX_FILE: subIndex } },
      gitDir,
      `${workTree}/${rel}`,
      `${name}/`,
      depth + 1,
    ).finally(() => rmSync(subIndex, { force: true }));
    // Whatever the outer index held at that path (tracked files of the base) is replaced by the nested files.
    await git(["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", `:(literal)${rel}`], o);
    await git(["read-tree", `--prefix=${rel}/`, sub.tree], o);
    result.embedded.push(name, ...sub.embedded);
    result.skipped.push(...sub.skipped);
  }
  result.tree = await git(["write-tree"], o);
  return result;
}
