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
 *
 * Which files count is decided by the `.gitignore` files of the workspace alone — of every enclosing work tree,
 * so a nested repository's `.env` that the workspace's `.gitignore` names stays out — never by the repository's
 * `info/exclude` or a `core.excludesFile` (the engine can write either, and the mirror's is shared by every job
 * of the repo on this host): untracked files are listed with per-directory rules only and added by name, and the
 * enclosing work trees' rules are asked of `check-ignore` run in an empty git dir of the agent's (agent/neutral-dirs).
 * `check-ignore` has no option to skip `info/exclude` and reads the one of the repository it runs in: run in the
 * workspace's, a nested file was left out by whatever the engine wrote mid-run to the mirror's `info/exclude` (shared
 * by every job of the repo here). `core.excludesFile` is already neutralised on every command line (agent/git-neutral).
 */
import { existsSync, lstatSync, rmSync } from "node:fs";
import path from "node:path";
import { GitError, type GitOptions, git } from "./git.ts";
import { neutralGitDir } from "./neutral-dirs.ts";

/** Repositories nested deeper than this are left out of the checkpoint altogether (named in `skipped`). */
const MAX_DEPTH = 8;
/** At most this many nested repositories are captured per checkpoint (each costs several git runs); the rest are
 * left out (named in `skipped`). */
export const MAX_NESTED = 32;

export interface StagedTree {
  tree: string;
  /** Nested repositories (paths relative to the workspace, `/`-separated) whose files were captured. */
  embedded: string[];
  /** Nested repositories left out of the checkpoint (too deep, or over MAX_NESTED), each with why. */
  skipped: string[];
}

/** An enclosing work tree whose `.gitignore` files apply, and the staged work tree's path in it (`a/b/`). */
interface Enclosing {
  workTree: string;
  rel: string;
}

/** Only the work tree's own `.gitignore` files: never `info/exclude` nor `core.excludesFile` (see the module doc). */
const PER_DIRECTORY = "--exclude-per-directory=.gitignore";

/** What one checkpoint's staging shares across its nesting levels (one object, changed in place). */
interface Staging {
  /** The outer repository's git dir (absolute): every level's files go into its object store. */
  gitDir: string;
  /** How many more nested repositories may be captured. */
  left: number;
  /** The empty git dir `check-ignore` runs in, made on first need (agent/neutral-dirs); removed by `stageTree`. */
  neutral?: string;
}

/**
 * Untracked entries under the work tree: files, and nested repositories (`ls-files -o` lists each as one `dir/`
 * entry). With `tracked`, also tracked paths (not gitlinks) the engine replaced by a nested repository: `ls-files
 * -o` does not list those, and `add` fails on them.
 */
async function untracked(o: GitOptions, workTree: string, tracked: boolean) {
  const out = await git(["ls-files", "-z", "-o", PER_DIRECTORY], { ...o, raw: true });
  const entries = out.split("\0").filter((p) => p !== "");
  const repos = entries.filter((p) => p.endsWith("/")).map((p) => p.slice(0, -1));
  const files = entries.filter((p) => !p.endsWith("/"));
  if (tracked) {
    // Raw `-z` output: ":<old mode> <new mode> <old id> <new id> <status>\0<path>\0" per changed tracked path.
    const raw = (await git(["diff-files", "-z"], { ...o, raw: true })).split("\0");
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const meta = raw[i] as string;
      const rel = raw[i + 1] as string;
      if (meta.startsWith(":160000") || repos.includes(rel)) continue;
      const abs = path.join(workTree, rel);
      if (isDir(abs) && existsSync(path.join(abs, ".git"))) repos.push(rel);
    }
  }
  return { repos, files };
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Those of `paths` (relative to the staged work tree) that no enclosing work tree's `.gitignore` ignores. Throws
 * GitError when git fails.
 */
async function notIgnored(paths: string[], enclosing: Enclosing[], o: GitOptions, s: Staging): Promise<string[]> {
  let kept = paths;
  for (const e of enclosing) {
    if (kept.length === 0) break;
    s.neutral ??= neutralGitDir();
    // `--no-index`: nothing of the neutral git dir is read but its (absent) `info/exclude`.
    const env = { ...o.env, GIT_DIR: s.neutral, GIT_WORK_TREE: e.workTree };
    const input = kept.map((p) => `${e.rel}${p}`).join("\0");
    const args = ["check-ignore", "-z", "-v", "-n", "--no-index", "--stdin"];
    // Exit 1 = nothing ignored: git says nothing on stderr then.
    const out = await git(args, { ...o, cwd: e.workTree, env, input, raw: true }).catch((err: unknown) => {
      if (err instanceof GitError && err.stderr.trim() === "") return undefined;
      throw err;
    });
    if (out === undefined) continue;
    // Per path: "<source>\0<line>\0<pattern>\0<path>\0"; an empty source = no pattern matched, and a `!` pattern
    // (`!.env.example` after `.env*`) matched to un-ignore it: both are kept.
    const f = out.split("\0");
    const ignored = new Set<string>();
    for (let i = 0; i + 3 < f.length; i += 4)
      if (f[i] !== "" && !(f[i + 2] as string).startsWith("!")) ignored.add((f[i + 3] as string).slice(e.rel.length));
    kept = kept.filter((p) => !ignored.has(p));
  }
  return kept;
}

/**
 * Stage everything under `workTree` (absolute: the workspace) into the index `opts.env.GIT_INDEX_FILE` and write its
 * tree into the repository whose git dir (absolute) is `gitDir`; nested repositories are taken as plain files (see
 * the module doc). Throws GitError when git fails.
 */
export async function stageTree(
  opts: GitOptions & { env: { GIT_INDEX_FILE: string } },
  gitDir: string,
  workTree: string,
): Promise<StagedTree> {
  const s: Staging = { gitDir, left: MAX_NESTED };
  try {
    return await stage(s, opts, workTree);
  } finally {
    if (s.neutral) rmSync(s.neutral, { recursive: true, force: true });
  }
}

/**
 * `stageTree` for one level, into the index `opts.env.GIT_INDEX_FILE`: `workTree` the absolute directory being
 * staged (the workspace, or a nested repository inside it); `prefix` its path in the workspace, for names;
 * `enclosing` the work trees around it, whose ignore rules apply too. Throws GitError.
 */
async function stage(
  s: Staging,
  opts: GitOptions & { env: { GIT_INDEX_FILE: string } },
  workTree: string,
  prefix = "",
  depth = 0,
  enclosing: Enclosing[] = [],
): Promise<StagedTree> {
  const gitDir = s.gitDir;
  const o: GitOptions = { ...opts, cwd: workTree, env: { ...opts.env, GIT_DIR: gitDir, GIT_WORK_TREE: workTree } };
  const found = await untracked(o, workTree, depth === 0);
  const [nested, files] = await Promise.all([
    notIgnored(found.repos, enclosing, o, s),
    notIgnored(found.files, enclosing, o, s),
  ]);
  // Tracked paths first (changes and deletions: no ignore rule applies to them), nested repositories left out.
  const notNested = found.repos.map((p) => `:(exclude,literal)${p}`);
  if (depth === 0) await git(["add", "-u", "--", ".", ...notNested], o);
  // Then the untracked files, as listed: `update-index` takes them one by one (no pathspec matching, which is
  // quadratic for a long list) and consults no ignore rule, so `info/exclude` cannot drop any.
  if (files.length > 0)
    await git(["update-index", "--add", "--replace", "-z", "--stdin"], { ...o, input: `${files.join("\0")}\0` });
  const result: StagedTree = { tree: "", embedded: [], skipped: [] };
  const inner = [...enclosing, { workTree, rel: "" }];
  for (const rel of nested) {
    const name = `${prefix}${rel}`;
    if (depth + 1 > MAX_DEPTH) {
      result.skipped.push(`${name} (nested more than ${MAX_DEPTH} repositories deep)`);
      continue;
    }
    if (s.left <= 0) {
      result.skipped.push(`${name} (over ${MAX_NESTED} nested repositories)`);
      continue;
    }
    s.left -= 1;
    const subIndex = `${opts.env.GIT_INDEX_FILE}.${depth + 1}`;
    const sub = await stage(
      s,
      { ...opts, env: { ...opts.env, GIT_INDEX_FILE: subIndex } },
      `${workTree}/${rel}`,
      `${name}/`,
      depth + 1,
      inner.map((e) => ({ ...e, rel: `${e.rel}${rel}/` })),
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
