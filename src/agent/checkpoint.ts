/**
 * @module agent/checkpoint
 * Work-in-progress checkpoints: a commit of everything in the workspace, pushed
 * to `gf/wip/<jobId>` so another factory can resume after a crash.
 *
 * While the engine runs, a checkpoint is built with a private index and
 * `commit-tree`, leaving the engine's HEAD, index and branch untouched — an AI
 * engine that runs `git status` or `git diff` mid-task must not see its work
 * vanish into commits it did not make. Checkpoints chain on one another (and on
 * any commit the engine made itself), and the final one, taken after the engine
 * exited, also moves HEAD so the workspace ends clean at the reported sha.
 */
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { copyAs } from "./engine-user.ts";
import { git, gitOk, withLockRetry } from "./git.ts";
import { parseShortstat } from "./insights.ts";
import { checkpointBranch, type Workspace } from "./workspace.ts";

export interface Snapshot {
  sha: string;
  /** False when nothing changed since `previous` (no commit was made). */
  changed: boolean;
}

export function checkpointMessage(jobId: string, attempt: number): string {
  return `gf: checkpoint ${jobId} attempt ${attempt}`;
}

/**
 * Commit the workspace's current files on top of `previous` (this run's last
 * checkpoint, or HEAD). `final` always commits (empty or not) and moves HEAD there.
 */
export async function snapshot(
  ws: Workspace,
  previous: string | undefined,
  message: string,
  final: boolean,
): Promise<Snapshot> {
  const cwd = ws.dir;
  const as = ws.owner;
  const gitDir = await git(["rev-parse", "--absolute-git-dir"], { cwd, as });
  const index = path.join(gitDir, "gf-checkpoint-index");
  const real = path.join(gitDir, "index");
  // Start from the real index: its stat cache spares git rehashing every file each time.
  if (existsSync(real)) copyAs(real, index, as);
  const env = { GIT_INDEX_FILE: index };
  try {
    if (!existsSync(real)) await git(["read-tree", "HEAD"], { cwd, env, as });
    await git(["add", "-A"], { cwd, env, as });
    const tree = await git(["write-tree"], { cwd, env, as });
    const head = await git(["rev-parse", "HEAD"], { cwd, as });
    const parents = [previous ?? head];
    // The engine committed on its own since our last checkpoint: keep its commits in the chain.
    if (previous && previous !== head && !(await gitOk(["merge-base", "--is-ancestor", head, previous], { cwd, as }))) {
      parents.push(head);
    }
    const parentTree = await git(["rev-parse", `${parents[0]}^{tree}`], { cwd, as });
    if (!final && parents.length === 1 && parentTree === tree) return { sha: parents[0] as string, changed: false };
    const sha = await git(["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-m", message], { cwd, as });
    if (final) await git(["reset", "-q", sha], { cwd, as });
    return { sha, changed: true };
  } finally {
    rmSync(index, { force: true });
  }
}

/** Push `sha` to the job's WIP branch on the first target that accepts it; which one, or an error listing why not. */
export async function pushCheckpoint(ws: Workspace, sha: string): Promise<{ branch: string; target: string }> {
  const branch = checkpointBranch(ws.jobId, ws.leaseEpoch);
  const errors: string[] = [];
  for (const target of ws.pushTargets) {
    try {
      // Forced: the WIP branch is ours alone, and a fresh attempt (no usable checkpoint) restarts it.
      await withLockRetry(() =>
        git(["push", "-q", "--no-verify", "--", target, `+${sha}:refs/heads/${branch}`], { cwd: ws.dir, as: ws.owner }),
      );
      return { branch, target };
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new Error(`could not push checkpoint ${sha.slice(0, 12)}: ${errors.join("; ")}`);
}

/**
 * Delete an earlier epoch's WIP branch from every push target, best effort —
 * call only once the coordinator has recorded a checkpoint on this run's own
 * branch, so nothing points to the old one any more. Returns where it went.
 */
export async function retireBranch(ws: Workspace, branch: string): Promise<string[]> {
  if (branch === checkpointBranch(ws.jobId, ws.leaseEpoch)) return [];
  const retired: string[] = [];
  for (const target of ws.pushTargets) {
    // As the engine's user, like every git command in its files: the repository's config there is the engine's.
    const push = ["push", "-q", "--no-verify", "--", target, `:refs/heads/${branch}`];
    const ok = await gitOk(push, { cwd: ws.dir, as: ws.owner });
    if (ok) retired.push(target);
  }
  return retired;
}

/** The run's changes against the workspace base: shortstat numbers and the full patch. */
export async function diffAgainstBase(
  ws: Workspace,
  sha: string,
): Promise<{ stat: ReturnType<typeof parseShortstat>; patch: string }> {
  // No external diff tools or textconv filters: the patch must apply, and the repo's config is the engine's.
  const diff = ["diff", "--no-ext-diff", "--no-textconv"];
  const stat = parseShortstat(await git([...diff, "--shortstat", ws.base, sha], { cwd: ws.dir, as: ws.owner }));
  const patch = await git([...diff, "--binary", ws.base, sha], { cwd: ws.dir, raw: true, as: ws.owner });
  return { stat, patch };
}
