/**
 * @module agent/workspace-resume
 * The git half of resuming a job (agent/workspace): fetch the recorded WIP branch from the first source that has
 * it, ask whether the recorded sha is in what came, and let agent/resume-point decide where to start.
 */
import { existsSync } from "node:fs";
import type { Job } from "../core/model.ts";
import type { RunAs } from "./engine-user.ts";
import { git, gitOk, withLockRetry } from "./git.ts";
import { decideResumePoint } from "./resume-point.ts";

export interface Resume {
  /** The full sha to start from; undefined = a fresh start. */
  sha: string | undefined;
  /** The branch it came from (the recorded one), when resuming. */
  branch: string | undefined;
  /** The sources disagreed: what each said and what was chosen (agent/resume-point). */
  mismatch?: string;
}

/** Fetch `branch` from the first source that has it into `refs/gf/resume/<jobId>` of `repoDir`; its sha or undefined. */
async function fetchCheckpoint(
  repoDir: string,
  jobId: string,
  branch: string,
  sources: string[],
  as: RunAs | undefined,
): Promise<string | undefined> {
  const ref = `refs/gf/resume/${jobId}`;
  for (const source of sources) {
    if (source !== "origin" && !existsSync(source)) continue;
    const fetch = ["fetch", "-q", "--no-tags", "--", source, `+refs/heads/${branch}:${ref}`];
    if (await gitOk(fetch, { cwd: repoDir, as })) return git(["rev-parse", ref], { cwd: repoDir, as });
  }
  return undefined;
}

/**
 * Where `job` resumes in `repoDir`: its recorded checkpoint fetched from `sources` (in order), checked against
 * `local` (this host's record of the last acknowledged checkpoint). Throws GitError only on a broken repository.
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
  const tip = branch ? await withLockRetry(() => fetchCheckpoint(repoDir, job.id, branch, sources, as)) : undefined;
  const sha = recorded?.sha && /^[0-9a-f]{7,64}$/.test(recorded.sha) ? recorded.sha : undefined;
  const opts = { cwd: repoDir, as };
  const available =
    sha !== undefined && tip !== undefined && (await gitOk(["merge-base", "--is-ancestor", sha, tip], opts));
  const point = decideResumePoint({ recorded, branchTip: tip, recordedAvailable: available, local });
  const full = point.sha ? await git(["rev-parse", "--verify", `${point.sha}^{commit}`], opts) : undefined;
  return { sha: full, branch: full ? branch : undefined, ...(point.mismatch ? { mismatch: point.mismatch } : {}) };
}
