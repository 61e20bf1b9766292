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
 * The run's diff against its base: agent/run-diff.
 */
import { randomBytes } from "node:crypto";
import { lstatSync, rmSync } from "node:fs";
import path from "node:path";
import { stageTree } from "./embedded-repos.ts";
import { copyAs, type RunAs } from "./engine-user.ts";
import { GitError, type GitOptions, git, gitOk, withLockRetry } from "./git.ts";
import { GIT_STALLED, GIT_TIMEOUT } from "./git-bounds.ts";
import { gitRemote } from "./git-remote.ts";
import { trustFileFor, withLocalTrust } from "./local-trust.ts";
import { isOwnWipBranch } from "./resume-point.ts";
import { clearStaleLocks, jobLockFiles } from "./stale-locks.ts";
import { checkpointBranch, type Workspace } from "./workspace.ts";
import { removeWorkTree } from "./workspace-removal.ts";

export interface Snapshot {
  sha: string;
  /**
   * False when nothing changed since `previous` (no commit was made). True with no commit made when `sha` is the
   * engine's own commit: the run's first checkpoint, the engine having committed all its work.
   */
  changed: boolean;
  /** Repositories nested in the workspace whose files were captured as plain files (their `.git` skipped). */
  embedded?: string[];
  /** What could not be captured, and why (nested too deep). */
  skipped?: string[];
  /** Stale git locks (an engine killed mid-command) removed before the final checkpoint moved HEAD. */
  clearedLocks?: string[];
}

export function checkpointMessage(jobId: string, attempt: number): string {
  return `gf: checkpoint ${jobId} attempt ${attempt}`;
}

/**
 * Commit the workspace's current files on top of `previous` (this run's last
 * checkpoint, or HEAD). `final` always commits (empty or not) and moves HEAD there;
 * it is taken only once the engine is gone, so a git lock it left is stale and removed
 * (`now`: ms since the epoch, for the locks' age). Throws GitError when git fails.
 */
export async function snapshot(
  ws: Workspace,
  previous: string | undefined,
  message: string,
  final: boolean,
  now: number = Date.now(),
): Promise<Snapshot> {
  const cwd = ws.dir;
  const as = ws.owner;
  const gitDir = await git(["rev-parse", "--absolute-git-dir"], { cwd, as });
  // A name of this snapshot's own: a lock a killed checkpoint left on a fixed name would fail every later one.
  const index = path.join(gitDir, `gf-checkpoint-index-${process.pid}-${randomBytes(4).toString("hex")}`);
  const real = path.join(gitDir, "index");
  const fromIndex = await startIndex(real, index, as);
  const env = { GIT_INDEX_FILE: index };
  try {
    if (!fromIndex) await git(["read-tree", "HEAD"], { cwd, env, as });
    else await clearHidingBits({ cwd, env, as });
    const staged = await stageTree({ as, env }, gitDir, cwd);
    const tree = staged.tree;
    const head = await git(["rev-parse", "HEAD"], { cwd, as });
    const parents = [previous ?? head];
    // The engine committed on its own since our last checkpoint: keep its commits in the chain.
    if (previous && previous !== head && !(await gitOk(["merge-base", "--is-ancestor", head, previous], { cwd, as }))) {
      parents.push(head);
    }
    const parentTree = await git(["rev-parse", `${parents[0]}^{tree}`], { cwd, as });
    // Only what there is: a plain workspace's snapshot is just {sha, changed}.
    const found = {
      ...(staged.embedded.length > 0 ? { embedded: staged.embedded } : {}),
      ...(staged.skipped.length > 0 ? { skipped: staged.skipped } : {}),
    };
    // Files as in the parent. The run's first checkpoint, though, has something to say when the engine committed its
    // work itself (HEAD is not where the run started): that commit is the checkpoint, or nothing would be pushed.
    if (!final && parents.length === 1 && parentTree === tree) {
      const engineCommitted = previous === undefined && head !== (ws.resumedFrom ?? ws.base);
      return { sha: parents[0] as string, changed: engineCommitted, ...found };
    }
    const sha = await git(["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-m", message], { cwd, as });
    let clearedLocks: string[] = [];
    if (final) {
      const common = await git(["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd, as });
      const branch = await git(["symbolic-ref", "-q", "--short", "HEAD"], { cwd, as }).catch(() => undefined);
      clearedLocks = clearStaleLocks(jobLockFiles(gitDir, common, branch), now, true, as);
      await git(["reset", "-q", sha], { cwd, as });
    }
    return { sha, changed: true, ...found, ...(clearedLocks.length > 0 ? { clearedLocks } : {}) };
  } finally {
    rmSync(index, { force: true });
  }
}

/**
 * 256 MiB: past any real index (about 100 bytes a file: 2.5 million files). A larger `.git/index` is an engine's
 * making (`truncate -s 3G .git/index` costs it nothing): copied, it was read whole into the agent's memory at every
 * checkpoint of every seat (past 2 GiB the read failed, and with it every checkpoint, the final one too).
 */
const MAX_INDEX_BYTES = 256 * 1024 * 1024;

/**
 * Start the private `index` from the workspace's `real` one (its stat cache spares git rehashing every file each
 * time); whether it did. Without one, or with one that is no regular file — a FIFO, a link, a directory an engine put
 * at `.git/index` — or over MAX_INDEX_BYTES, false: the snapshot starts from HEAD. Such a one is removed (as the
 * engine would be: agent/workspace-removal): git reads the real index in the final checkpoint's `reset`, and would
 * wait on a FIFO there for good. Rejects when the copy fails otherwise (agent/engine-user `copyAs`).
 */
async function startIndex(real: string, index: string, as: RunAs | undefined): Promise<boolean> {
  const st = lstatSync(real, { throwIfNoEntry: false });
  if (st?.isFile() && st.size <= MAX_INDEX_BYTES) {
    await copyAs(real, index, as, MAX_INDEX_BYTES);
    return true;
  }
  if (st) await removeWorkTree(real, as);
  return false;
}

/**
 * Clear the assume-unchanged and skip-worktree bits the copied index carries (the engine may set them with
 * `update-index`): with them `add` keeps the old content of a file the engine edited. Only the private copy
 * changes; the engine's own index keeps its bits. Throws GitError.
 */
async function clearHidingBits(opts: GitOptions): Promise<void> {
  // `ls-files -v`: a lower-case tag marks assume-unchanged, `S` skip-worktree.
  const listed = (await git(["ls-files", "-z", "-v"], { ...opts, raw: true })).split("\0");
  const hidden = listed.filter((l) => /^([a-z]|S) /.test(l)).map((l) => l.slice(2));
  if (hidden.length === 0) return;
  const input = `${hidden.join("\0")}\0`;
  // One flag per run: given both, update-index applies only the first to each path.
  await git(["update-index", "--no-assume-unchanged", "-z", "--stdin"], { ...opts, input });
  await git(["update-index", "--no-skip-worktree", "-z", "--stdin"], { ...opts, input });
}

/** Push `sha` to the job's WIP branch on the first target that accepts it; which one, or an error listing why not. */
export async function pushCheckpoint(ws: Workspace, sha: string): Promise<{ branch: string; target: string }> {
  const branch = checkpointBranch(ws.jobId, ws.leaseEpoch);
  const errors: string[] = [];
  const quiet = silentTargets.get(ws);
  for (const target of [...ws.pushTargets].sort((a, b) => Number(quiet?.has(a)) - Number(quiet?.has(b)))) {
    try {
      // Forced: the WIP branch is ours alone, and a fresh attempt (no usable checkpoint) restarts it.
      // The checkpoint remote is the agent's own (a stale lock there may be cleared); a job's origin is not.
      await withLockRetry(
        () => pushTo(ws, target, `+${sha}:refs/heads/${branch}`),
        4,
        target === "origin" ? [] : [target],
        ws.owner,
      );
      return { branch, target };
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new Error(`could not push checkpoint ${sha.slice(0, 12)}: ${errors.join("; ")}`);
}

/**
 * `git push <target> <refspec>` from the workspace, as its owner, like all git in its files (their config is the
 * engine's). A local origin or the checkpoint remote (any other target) with exactly it trusted (agent/local-trust), as
 * its fetch is: one another user owns refused the push ("detected dubious ownership").
 */
async function pushTo(ws: Workspace, target: string, refspec: string): Promise<string> {
  const push = (env: Record<string, string>) =>
    gitRemote(["push", "-q", "--no-verify", "--", target, refspec], { cwd: ws.dir, as: ws.owner, env });
  try {
    return await withLocalTrust(target === "origin" ? (ws.repo ?? []) : target, trustFileFor(ws.dir), push);
  } catch (err) {
    const code = err instanceof GitError ? err.code : undefined;
    if (code === GIT_STALLED || code === GIT_TIMEOUT)
      silentTargets.set(ws, (silentTargets.get(ws) ?? new Set()).add(target));
    throw err;
  }
}

/**
 * A run's push targets that stopped answering (a push stopped at its bound, agent/git-remote): tried last from then on,
 * left out of a retire. A hung origin held each checkpoint 5 min (the stall bound) before the checkpoint remote.
 */
const silentTargets = new WeakMap<Workspace, Set<string>>();

/**
 * Delete an earlier epoch's WIP branch from every push target, best effort —
 * call only once the coordinator has recorded a checkpoint on this run's own
 * branch, so nothing points to the old one any more. Returns where it went.
 * Only the job's own WIP branches go (agent/resume-point `isOwnWipBranch`): the name came from the coordinator.
 */
export async function retireBranch(ws: Workspace, branch: string): Promise<string[]> {
  if (branch === checkpointBranch(ws.jobId, ws.leaseEpoch) || !isOwnWipBranch(ws.jobId, branch)) return [];
  const retired: string[] = [];
  for (const target of ws.pushTargets) {
    if (silentTargets.get(ws)?.has(target)) continue; // best effort: not another stall bound's wait
    const ok = await pushTo(ws, target, `:refs/heads/${branch}`).then(
      () => true,
      () => false,
    );
    if (ok) retired.push(target);
  }
  return retired;
}
