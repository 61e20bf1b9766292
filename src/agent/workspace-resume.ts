/**
 * @module agent/workspace-resume
 * The git half of resuming a job (agent/workspace): fetch the recorded WIP branch from every source, find the
 * recorded sha in what came, and let agent/resume-point decide where to start.
 */
import { existsSync } from "node:fs";
import type { Job } from "../core/model.ts";
import type { RunAs } from "./engine-user.ts";
import { GitError, git, gitOk, withLockRetry } from "./git.ts";
import { gitRemote } from "./git-remote.ts";
import { decideResumePoint, isOwnWipBranch } from "./resume-point.ts";

export interface Resume {
  /** The full sha to start from; undefined = a fresh start. */
  sha: string | undefined;
  /** The branch it came from (the recorded one), when resuming. */
  branch: string | undefined;
  /** The sources disagreed: what each said and what was chosen (agent/resume-point). */
  mismatch?: string;
}

const LOCK_CLASH = /\.lock|cannot lock|Unable to create/i;

/**
 * Fetch `branch` from one source into `ref`; its tip, or undefined when the source or the branch is not there.
 * A lock held by another agent on the shared mirror is retried (withLockRetry) and, still held, thrown (GitError);
 * any other failure means "absent".
 */
async function fetchOne(
  repoDir: string,
  source: string,
  branch: string,
  ref: string,
  as: RunAs | undefined,
): Promise<string | undefined> {
  if (source !== "origin" && !existsSync(source)) return undefined;
  const fetch = ["fetch", "-q", "--no-tags", "--", source, `+refs/heads/${branch}:${ref}`];
  try {
    // A lock a killed fetch left on this job's own scratch ref (in the agent's mirror) is cleared, not waited on for
    // ever; and the ref itself, left by a killed resume, is dropped first.
    await gitOk(["update-ref", "-d", ref], { cwd: repoDir, as });
    await withLockRetry(() => gitRemote(fetch, { cwd: repoDir, as }), 4, [repoDir], as);
  } catch (err) {
    // A lock still held after the retries is not "no checkpoint here": starting older or fresh would lose work.
    if (err instanceof GitError && !LOCK_CLASH.test(err.stderr)) return undefined;
    throw err;
  }
  return git(["rev-parse", ref], { cwd: repoDir, as });
}

/**
 * Fetch `branch` from every source (each into its own ref: one source whose push was refused may be behind another;
 * a branch not the job's own, from the job's repository only)
 * and pick the tip to resume from: the first source's whose branch contains `sha`; else, when `sha` is a commit the
 * repository already holds, that commit is available (tip: the first source's, for the mismatch note); else the first
 * tip found. The chosen tip is kept in `refs/gf/resume/<jobId>` (agent/workspace deletes it with the workspace).
 */
async function fetchCheckpoint(
  repoDir: string,
  jobId: string,
  branch: string,
  sha: string | undefined,
  sources: string[],
  as: RunAs | undefined,
): Promise<{ tip: string | undefined; available: boolean }> {
  const opts = { cwd: repoDir, as };
  const tips: string[] = [];
  const scratch: string[] = [];
  try {
    for (const [i, source] of sources.entries()) {
      // The host's checkpoint remote holds every job's WIP (every product's): only this job's own is read there.
      if (source !== "origin" && !isOwnWipBranch(jobId, branch)) continue;
      const ref = `refs/gf/resume-src/${jobId}/${i}`;
      scratch.push(ref);
      const tip = await fetchOne(repoDir, source, branch, ref, as);
      if (tip) tips.push(tip);
    }
    let tip = tips[0];
    let available = false;
    if (sha) {
      for (const t of tips) {
        if (await gitOk(["merge-base", "--is-ancestor", sha, t], opts)) {
          tip = t;
          available = true;
          break;
        }
      }
      // On no fetched branch (each was moved or refused a push) but still here, e.g. from an earlier fetch.
      if (!available) available = await gitOk(["cat-file", "-e", `${sha}^{commit}`], opts);
    }
    const keep = available && sha && !tips.includes(tip ?? "") ? sha : tip;
    if (keep) await git(["update-ref", `refs/gf/resume/${jobId}`, keep], opts);
    return { tip, available };
  } finally {
    for (const ref of scratch) await gitOk(["update-ref", "-d", ref], opts);
  }
}

/**
 * Where `job` resumes in `repoDir`: its recorded checkpoint fetched from `sources`, checked against
 * `local` (this host's record of the last acknowledged checkpoint). Throws GitError on a broken repository, or a
 * lock another live process still holds on the mirror after the retries (a stale one is cleared).
 */
export async function resolveResume(
  repoDir: string,
  job: Job,
  sources: string[],
  local: { branch: string; sha: string } | undefined,
  as: RunAs | undefined,
): Promise<Resume> {
  const recorded = job.checkpoint;
  const branch = recorded?.branch;
  const sha = recorded?.sha && /^[0-9a-f]{7,64}$/.test(recorded.sha) ? recorded.sha : undefined;
  const opts = { cwd: repoDir, as };
  const found = branch
    ? await fetchCheckpoint(repoDir, job.id, branch, sha, sources, as)
    : { tip: undefined, available: false };
  const point = decideResumePoint({ recorded, branchTip: found.tip, recordedAvailable: found.available, local });
  const full = point.sha ? await git(["rev-parse", "--verify", `${point.sha}^{commit}`], opts) : undefined;
  return { sha: full, branch: full ? branch : undefined, ...(point.mismatch ? { mismatch: point.mismatch } : {}) };
}
