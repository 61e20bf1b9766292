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
 *
 * With an engine user (agent/engine-user) the engine's files — mirrors, worktrees,
 * the checkpoint remote — are that user's, and every git command here runs as it.
 * A job's `repo` is checked again here (an allow-list, `--` before it): the agent
 * must not trust that every coordinator validated it.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Job } from "../core/model.ts";
import { repoProblem } from "../core/repo-url.ts";
import { ownedDir, type RunAs } from "./engine-user.ts";
import { freshJobDir } from "./fresh-job-dir.ts";
import { git, gitOk, RepoLocks } from "./git.ts";
import { hideUserinfo } from "./git-env.ts";
import { hostRefusal } from "./host-refusal.ts";
import { pruneWorktrees, unregisterWorktree } from "./kept-links.ts";
import { trustFileFor, withLocalTrust } from "./local-trust.ts";
import { evictMirrors } from "./mirror-eviction.ts";
import { fetchOrigin } from "./mirror-fetch.ts";
import { readyMirror } from "./mirror-ready.ts";
import { removeWorkTree } from "./workspace-removal.ts";
import { resolveResume } from "./workspace-resume.ts";

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
  /** The resume's sources disagreed (agent/resume-point): for a `job.resume_mismatch` warning. */
  resumeMismatch?: string;
  /** The recorded checkpoint was out of this host's reach, nothing disagreeing: for a `job.resume_fresh` info line. */
  resumeNotice?: string;
  /** Where WIP is pushed, in order of preference: a remote name or a repository path. */
  pushTargets: string[];
  /** The bare mirror a repo workspace is a worktree of. */
  mirror?: string;
  /** The job's repository, the mirror's origin: a local one is pushed to with its trust (agent/local-trust). */
  repo?: string;
  /** The user that owns the files and runs git here (the engine's); undefined = the agent. */
  owner?: RunAs;
}

export interface WorkspaceOptions {
  workDir: string;
  checkpointRemote: string;
  owner?: RunAs;
  /** Whether a job may name a repository on this host's filesystem (`/srv/git/app.git`). */
  allowLocalRepos?: boolean;
  /** This host's record of the job's last acknowledged checkpoint (agent/state), checked against the others. */
  localCheckpoint?: { branch: string; sha: string };
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

/**
 * The host's checkpoint remote, created on first use. Seats preparing their first jobs at once take turns (two
 * concurrent `git init --bare` of one dir race on its config lock: "could not lock config file … File exists"); an
 * init that loses such a race to another process (agents sharing the remote) is fine once the repo exists.
 */
export async function ensureCheckpointRemote(dir: string, owner?: RunAs): Promise<void> {
  const head = path.join(dir, "HEAD");
  if (existsSync(head)) return;
  await locks.run(dir, async () => {
    if (existsSync(head)) return;
    ownedDir(dir, owner);
    await git(["init", "--bare", "-q", "--", dir], { as: owner }).catch((err: unknown) => {
      if (!existsSync(head)) throw err;
    });
  });
}

async function removeStale(dir: string, mirror: string | undefined, as: RunAs | undefined): Promise<void> {
  if (mirror) await unregisterWorktree(mirror, dir, as); // a locked registration too (a killed `worktree add`)
  await removeWorkTree(dir, as);
  if (mirror) await pruneWorktrees(mirror, as);
}

/** Why this host will not clone `repo`, or undefined. */
function refusal(repo: string, opts: WorkspaceOptions): string | undefined {
  const problem = repoProblem(repo);
  if (problem) return `repo ${JSON.stringify(hideUserinfo(repo).slice(0, 200))} refused: ${problem}`;
  return hostRefusal({ repo }, opts);
}

async function prepareRepo(job: Job, repo: string, opts: WorkspaceOptions): Promise<Workspace> {
  const refused = refusal(repo, opts);
  if (refused) throw new Error(refused);
  const as = opts.owner;
  const mirror = path.join(opts.workDir, "mirrors", mirrorName(repo));
  const dir = jobDir(opts.workDir, job.id);
  let cloned = false;
  // A local repo (and a checkpoint remote) another user owns is read with exactly it trusted (agent/local-trust); its
  // file beside the job file.
  const ws = await withLocalTrust([repo, opts.checkpointRemote], trustFileFor(dir), (env) =>
    locks.run(mirror, async (): Promise<Workspace> => {
      cloned = await readyMirror(repo, mirror, as, env);
      const mainSha = await fetchOrigin(mirror, repo, as, env); // origin's default branch, never the mirror's HEAD
      const sources = ["origin", opts.checkpointRemote];
      const resume = await resolveResume(mirror, job, sources, opts.localCheckpoint, as, env); // each read with `env`
      const resumed = resume.sha;
      const start = resumed ?? mainSha;
      const base = resumed
        ? await git(["merge-base", resumed, mainSha], { cwd: mirror, as }).catch(() => mainSha)
        : mainSha;
      await removeStale(dir, mirror, as);
      freshJobDir(dir, as);
      await git(["worktree", "add", "-q", "-f", "-B", `gf/${job.id}`, "--", dir, start], { cwd: mirror, as });
      return {
        jobId: job.id,
        leaseEpoch: job.leaseEpoch ?? 0,
        kind: "repo",
        dir,
        base,
        resumedFrom: resumed,
        resumedBranch: resume.branch,
        ...(resume.mismatch ? { resumeMismatch: resume.mismatch } : {}),
        ...(resume.notice ? { resumeNotice: resume.notice } : {}),
        pushTargets: ["origin", opts.checkpointRemote],
        mirror,
        repo,
        owner: as,
      };
    }),
  );
  // One more mirror on disk: the least recently used past the bound go (agent/mirror-eviction; never throws).
  if (cloned) await evictMirrors(path.dirname(mirror), as, locks);
  return ws;
}

async function prepareScratch(job: Job, opts: WorkspaceOptions): Promise<Workspace> {
  const as = opts.owner;
  const dir = jobDir(opts.workDir, job.id);
  await removeStale(dir, undefined, as);
  freshJobDir(dir, as);
  await git(["init", "-q", "-b", `gf/${job.id}`], { cwd: dir, as });
  const { checkpointRemote, localCheckpoint } = opts;
  const resume = await withLocalTrust(checkpointRemote, trustFileFor(dir), (env) =>
    resolveResume(dir, job, [checkpointRemote], localCheckpoint, as, env),
  );
  const resumed = resume.sha;
  let base: string;
  if (resumed) {
    await git(["reset", "-q", "--hard", resumed], { cwd: dir, as });
    // The first commit of the history is the empty start commit the first attempt made.
    base = (await git(["rev-list", "--max-parents=0", resumed], { cwd: dir, as })).split("\n").pop() as string;
  } else {
    await git(["commit", "-q", "--allow-empty", "-m", `gf: start ${job.id}`], { cwd: dir, as });
    base = await git(["rev-parse", "HEAD"], { cwd: dir, as });
  }
  return {
    jobId: job.id,
    leaseEpoch: job.leaseEpoch ?? 0,
    kind: "scratch",
    dir,
    base,
    resumedFrom: resumed,
    resumedBranch: resume.branch,
    ...(resume.mismatch ? { resumeMismatch: resume.mismatch } : {}),
    ...(resume.notice ? { resumeNotice: resume.notice } : {}),
    pushTargets: [opts.checkpointRemote],
    owner: as,
  };
}

/** A fresh workspace for `job` (any leftover of an earlier run of the same job is replaced). */
export async function prepareWorkspace(job: Job, opts: WorkspaceOptions): Promise<Workspace> {
  await ensureCheckpointRemote(opts.checkpointRemote, opts.owner);
  return job.repo ? prepareRepo(job, job.repo, opts) : prepareScratch(job, opts);
}

/**
 * Remove every repository mirror in `workDir` that no job uses (agent/mirror-eviction, bound 0), as `owner`: a disk
 * found full, they are caches a later job clones again. The paths removed; never throws.
 */
export function evictUnusedMirrors(workDir: string, owner: RunAs | undefined): Promise<string[]> {
  return evictMirrors(path.join(workDir, "mirrors"), owner, locks, 0);
}

/** Run `fn` holding `mirror`'s lock, which every preparation and discard of its worktrees here holds too. */
export function withMirrorLock<T>(mirror: string, fn: () => Promise<T>): Promise<T> {
  return locks.run(mirror, fn);
}

/** Remove a workspace and, for a worktree, its registration and local branch. Never throws. */
export async function discardWorkspace(ws: Workspace): Promise<void> {
  try {
    const as = ws.owner;
    if (ws.mirror) {
      const mirror = ws.mirror;
      await locks.run(mirror, async () => {
        await removeStale(ws.dir, mirror, as);
        await gitOk(["branch", "-D", "--", `gf/${ws.jobId}`], { cwd: mirror, as });
        await gitOk(["update-ref", "-d", `refs/gf/resume/${ws.jobId}`], { cwd: mirror, as });
      });
    } else {
      await removeWorkTree(ws.dir, as);
    }
  } catch {
    /* a leftover directory is replaced by the next run of the job anyway */
  }
}
