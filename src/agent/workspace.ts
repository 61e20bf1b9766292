/**
 * @module agent/workspace
 * An isolated git working tree per job, so parallel seats never touch each
 * other's files and every run can be diffed and checkpointed:
 * - a job with `repo`: a `git worktree` of a bare mirror clone cached under
 *   `<work-dir>/mirrors` (fetched again on reuse), on branch `gf/<jobId>`;
 * - a job without: `<work-dir>/jobs/<jobId>`, itself `git init`-ed.
 * A job with a checkpoint starts from its WIP branch instead: fetched from the
 * repo's remote, or from the host's shared checkpoint remote (a bare repo under
 * the work dir, where jobs without a repo push their WIP).
 *
 * WIP branches carry the lease epoch (`gf/wip/<jobId>-e<epoch>`): a git remote
 * cannot fence a push, so a zombie that lost its lease but still pushes writes
 * only its own epoch's branch. The next holder resumes from the branch the
 * coordinator recorded (a fenced checkpoint report), never from a bare name
 * any past holder could overwrite.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Job } from "../core/model.ts";
import { git, gitOk, RepoLocks, withLockRetry } from "./git.ts";

export interface Workspace {
  jobId: string;
  /** The lease this workspace works under: its WIP branch is this epoch's. */
  leaseEpoch: number;
  kind: "repo" | "scratch";
  /** Where the engine runs. */
  dir: string;
  /** The commit diffs are taken against (the branch point, kept across resumes). */
  base: string;
  /** The checkpoint commit this run resumed from, if any. */
  resumedFrom?: string;
  /** The WIP branch it came from (an earlier epoch's), retired once this run's own checkpoint is recorded. */
  resumedBranch?: string;
  /** Where WIP is pushed, in order of preference: a remote name or a repository path. */
  pushTargets: string[];
  /** The bare mirror a repo workspace is a worktree of. */
  mirror?: string;
}

export interface WorkspaceOptions {
  workDir: string;
  checkpointRemote: string;
}

const locks = new RepoLocks();

/** The WIP branch of one lease of a job: `gf/wip/<jobId>-e<epoch>` (not a folder: no clash with `gf/wip/<jobId>`). */
export function checkpointBranch(jobId: string, leaseEpoch: number): string {
  return `gf/wip/${jobId}-e${leaseEpoch}`;
}

export function jobDir(workDir: string, jobId: string): string {
  return path.join(workDir, "jobs", jobId);
}

/** `https://host/org/repo.git` → `repo-<hash>.git`: readable, yet two repos named alike never share a mirror. */
export function mirrorName(repo: string): string {
  const base = (
    repo
      .replace(/\/+$/, "")
      .split(/[/:\\]/)
      .pop() ?? "repo"
  )
    .replace(/\.git$/, "")
    .replace(/[^\w.-]/g, "_");
  return `${base || "repo"}-${createHash("sha256").update(repo).digest("hex").slice(0, 12)}.git`;
}

/** The host's checkpoint remote, created on first use (git init on an existing repo is harmless). */
export async function ensureCheckpointRemote(dir: string): Promise<void> {
  if (existsSync(path.join(dir, "HEAD"))) return;
  mkdirSync(dir, { recursive: true });
  await git(["init", "--bare", "-q", dir]);
}

/** Fetch `branch` from the first source that has it into `refs/gf/resume/<jobId>` of `repoDir`; its sha or undefined. */
async function fetchCheckpoint(
  repoDir: string,
  jobId: string,
  branch: string,
  sources: string[],
): Promise<string | undefined> {
  const ref = `refs/gf/resume/${jobId}`;
  for (const source of sources) {
    if (source !== "origin" && !existsSync(source)) continue;
    const ok = await gitOk(["fetch", "-q", "--no-tags", source, `+refs/heads/${branch}:${ref}`], { cwd: repoDir });
    if (ok) return git(["rev-parse", ref], { cwd: repoDir });
  }
  return undefined;
}

async function removeStale(dir: string, mirror?: string): Promise<void> {
  if (mirror && existsSync(dir)) await gitOk(["worktree", "remove", "--force", dir], { cwd: mirror });
  rmSync(dir, { recursive: true, force: true });
  if (mirror) await gitOk(["worktree", "prune"], { cwd: mirror });
}

async function prepareRepo(job: Job, repo: string, opts: WorkspaceOptions): Promise<Workspace> {
  const mirror = path.join(opts.workDir, "mirrors", mirrorName(repo));
  const dir = jobDir(opts.workDir, job.id);
  return locks.run(mirror, async () => {
    if (!existsSync(path.join(mirror, "HEAD"))) {
      mkdirSync(path.dirname(mirror), { recursive: true });
      rmSync(mirror, { recursive: true, force: true });
      await git(["clone", "--bare", "-q", repo, mirror]);
      await git(["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"], { cwd: mirror });
    }
    await withLockRetry(() => git(["fetch", "-q", "--prune", "--no-tags", "origin"], { cwd: mirror }));
    const head = await git(["symbolic-ref", "--short", "HEAD"], { cwd: mirror }).catch(() => "main");
    const mainRef = (await gitOk(["rev-parse", "--verify", "-q", `refs/remotes/origin/${head}`], { cwd: mirror }))
      ? `refs/remotes/origin/${head}`
      : "HEAD";
    const mainSha = await git(["rev-parse", "--verify", `${mainRef}^{commit}`], { cwd: mirror }).catch(() => {
      throw new Error(`repository ${repo} has no commits on ${head}`);
    });
    const branch = job.checkpoint?.branch;
    const resumed = branch
      ? await withLockRetry(() => fetchCheckpoint(mirror, job.id, branch, ["origin", opts.checkpointRemote]))
      : undefined;
    const start = resumed ?? mainSha;
    const base = resumed ? await git(["merge-base", resumed, mainSha], { cwd: mirror }).catch(() => mainSha) : mainSha;
    await removeStale(dir, mirror);
    mkdirSync(path.dirname(dir), { recursive: true });
    await git(["worktree", "add", "-q", "-f", "-B", `gf/${job.id}`, dir, start], { cwd: mirror });
    return {
      jobId: job.id,
      leaseEpoch: job.leaseEpoch ?? 0,
      kind: "repo",
      dir,
      base,
      resumedFrom: resumed,
      resumedBranch: resumed ? branch : undefined,
      pushTargets: ["origin", opts.checkpointRemote],
      mirror,
    };
  });
}

async function prepareScratch(job: Job, opts: WorkspaceOptions): Promise<Workspace> {
  const dir = jobDir(opts.workDir, job.id);
  await removeStale(dir);
  mkdirSync(dir, { recursive: true });
  await git(["init", "-q", "-b", `gf/${job.id}`], { cwd: dir });
  const branch = job.checkpoint?.branch;
  const resumed = branch
    ? await withLockRetry(() => fetchCheckpoint(dir, job.id, branch, [opts.checkpointRemote]))
    : undefined;
  let base: string;
  if (resumed) {
    await git(["reset", "-q", "--hard", resumed], { cwd: dir });
    // The first commit of the history is the empty start commit the first attempt made.
    base = (await git(["rev-list", "--max-parents=0", resumed], { cwd: dir })).split("\n").pop() as string;
  } else {
    await git(["commit", "-q", "--allow-empty", "-m", `gf: start ${job.id}`], { cwd: dir });
    base = await git(["rev-parse", "HEAD"], { cwd: dir });
  }
  return {
    jobId: job.id,
    leaseEpoch: job.leaseEpoch ?? 0,
    kind: "scratch",
    dir,
    base,
    resumedFrom: resumed,
    resumedBranch: resumed ? branch : undefined,
    pushTargets: [opts.checkpointRemote],
  };
}

/** A fresh workspace for `job` (any leftover of an earlier run of the same job is replaced). */
export async function prepareWorkspace(job: Job, opts: WorkspaceOptions): Promise<Workspace> {
  await ensureCheckpointRemote(opts.checkpointRemote);
  return job.repo ? prepareRepo(job, job.repo, opts) : prepareScratch(job, opts);
}

/** Remove a workspace and, for a worktree, its registration and local branch. Never throws. */
export async function discardWorkspace(ws: Workspace): Promise<void> {
  try {
    if (ws.mirror) {
      const mirror = ws.mirror;
      await locks.run(mirror, async () => {
        await removeStale(ws.dir, mirror);
        await gitOk(["branch", "-D", `gf/${ws.jobId}`], { cwd: mirror });
        await gitOk(["update-ref", "-d", `refs/gf/resume/${ws.jobId}`], { cwd: mirror });
      });
    } else {
      rmSync(ws.dir, { recursive: true, force: true });
    }
  } catch {
    /* a leftover directory is replaced by the next run of the job anyway */
  }
}
