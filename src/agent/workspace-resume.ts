/**
 * @module agent/workspace-resume
 * The git half of resuming a job (agent/workspace): fetch the recorded WIP branch from every source, find the
 * recorded sha in what came, and let agent/resume-point decide where to start.
 * A source that could not be asked — its fetch stopped at a bound (`git_timeout`, `git_stalled`: a hung origin, a FIFO
 * planted in the checkpoint remote) or cut off by its transport — may hold the checkpoint: it was taken for "no
 * checkpoint here", so a job whose WIP only that source held started older or fresh and its checkpointed work was
 * lost for good. Unless the recorded commit is at hand anyway, the preparation now fails instead (a `failure`, which
 * the coordinator retries after its backoff); only git saying the branch is not there means "no checkpoint". Nor is a
 * source git refused to read for its owner ("detected dubious ownership": a local origin or a checkpoint remote another
 * user owns) one without the checkpoint: the job's local origin and the checkpoint remote are read with their trust
 * (agent/local-trust, `env`), and a refusal that remains (a path the trust cannot name exactly, such as one with a `*`)
 * fails the preparation with git's words and the fix, where the run silently started afresh.
 */
import { existsSync } from "node:fs";
import type { Job } from "../core/model.ts";
import type { RunAs } from "./engine-user.ts";
import { GitError, git, gitOk, withLockRetry } from "./git.ts";
import { GIT_STALLED, GIT_TIMEOUT } from "./git-bounds.ts";
import { gitRemote } from "./git-remote.ts";
import { decideResumePoint, isOwnWipBranch } from "./resume-point.ts";

export interface Resume {
  /** The full sha to start from; undefined = a fresh start. */
  sha: string | undefined;
  /** The branch it came from (the recorded one), when resuming. */
  branch: string | undefined;
  /** The sources disagreed: what each said and what was chosen (agent/resume-point). */
  mismatch?: string;
  /** The record was only out of this host's reach: what happens instead (agent/resume-point). */
  notice?: string;
}

const LOCK_CLASH = /\.lock|cannot lock|Unable to create/i;

/** git's and curl's words for a transport cut off or never reached (never a missing ref): a try later may answer. */
const TRANSPORT_FAILED =
  /remote end hung up|early EOF|RPC failed|Connection (?:refused|reset|timed out)|Could not resolve host|Failed to connect|Operation timed out/i;

/** git refusing a repository another user owns (≥ 2.35.3's words, and 2.35.2's): it was never read. */
const NOT_TRUSTED = /detected dubious ownership|unsafe repository \(/i;

/** What one source said: its branch's tip (undefined: no such branch there), or why it could not be asked. */
type Fetched = { tip: string | undefined; unreached?: undefined } | { tip?: undefined; unreached: GitError };

/**
 * Fetch `branch` from one source into `ref`. Its tip; `tip: undefined` when the source or the branch is not there
 * (git's answer, or any failure not below); `unreached` when the fetch was stopped at a bound, its transport failed or
 * git would not read the source for its owner. `env`: for the fetch (a local origin's trust, agent/local-trust).
 * A lock held by another agent on the shared mirror is retried (withLockRetry) and, still held, thrown (GitError).
 */
async function fetchOne(
  repoDir: string,
  source: string,
  branch: string,
  ref: string,
  as: RunAs | undefined,
  env: Record<string, string>,
): Promise<Fetched> {
  if (source !== "origin" && !existsSync(source)) return { tip: undefined };
  const fetch = ["fetch", "-q", "--no-tags", "--", source, `+refs/heads/${branch}:${ref}`];
  try {
    // A lock a killed fetch left on this job's own scratch ref (in the agent's mirror) is cleared, not waited on for
    // ever; and the ref itself, left by a killed resume, is dropped first.
    await gitOk(["update-ref", "-d", ref], { cwd: repoDir, as });
    await withLockRetry(() => gitRemote(fetch, { cwd: repoDir, as, env }), 4, [repoDir], as);
  } catch (err) {
    // A lock still held after the retries is not "no checkpoint here": starting older or fresh would lose work.
    if (!(err instanceof GitError) || LOCK_CLASH.test(err.stderr)) throw err;
    const stopped = err.code === GIT_TIMEOUT || err.code === GIT_STALLED;
    const unreached = stopped || TRANSPORT_FAILED.test(err.stderr) || NOT_TRUSTED.test(err.stderr);
    return unreached ? { unreached: err } : { tip: undefined };
  }
  return { tip: await git(["rev-parse", ref], { cwd: repoDir, as }) };
}

/** The error a preparation fails with when `source` could not be asked for `branch` (`err`: why), code kept. */
function unreachedError(branch: string, source: string, err: GitError): GitError {
  const why = `cannot fetch the checkpoint branch ${branch} from ${source} (${err.message}): this attempt fails, to be retried, rather than start from an older commit or afresh without it`;
  return new GitError(err.args, err.stderr, why, err.code);
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
  env: Record<string, string>,
): Promise<{ tip: string | undefined; available: boolean }> {
  const opts = { cwd: repoDir, as };
  const tips: string[] = [];
  const scratch: string[] = [];
  let unreached: GitError | undefined;
  try {
    for (const [i, source] of sources.entries()) {
      // The host's checkpoint remote holds every job's WIP (every product's): only this job's own is read there.
      if (source !== "origin" && !isOwnWipBranch(jobId, branch)) continue;
      const ref = `refs/gf/resume-src/${jobId}/${i}`;
      scratch.push(ref);
      const got = await fetchOne(repoDir, source, branch, ref, as, env);
      if (got.tip) tips.push(got.tip);
      if (got.unreached) unreached ??= unreachedError(branch, source, got.unreached);
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
    // The recorded commit at hand wins whatever that source says (agent/resume-point); else it may be what it holds.
    if (unreached && !available) throw unreached;
    const keep = available && sha && !tips.includes(tip ?? "") ? sha : tip;
    if (keep) await git(["update-ref", `refs/gf/resume/${jobId}`, keep], opts);
    return { tip, available };
  } finally {
    for (const ref of scratch) await gitOk(["update-ref", "-d", ref], opts);
  }
}

/**
 * Where `job` resumes in `repoDir`: its recorded checkpoint fetched from `sources`, checked against
 * `local` (this host's record of the last acknowledged checkpoint). Throws GitError on a broken repository, a
 * lock another live process still holds on the mirror after the retries (a stale one is cleared), or a source that
 * could not be asked while the recorded commit is not at hand (its code `git_timeout`/`git_stalled` when stopped).
 * `env`: what reading the sources needs (a local origin's and the checkpoint remote's trust: agent/local-trust
 * `withLocalTrust`); default none.
 */
export async function resolveResume(
  repoDir: string,
  job: Job,
  sources: string[],
  local: { branch: string; sha: string } | undefined,
  as: RunAs | undefined,
  env: Record<string, string> = {},
): Promise<Resume> {
  const recorded = job.checkpoint;
  const branch = recorded?.branch;
  const sha = recorded?.sha && /^[0-9a-f]{7,64}$/.test(recorded.sha) ? recorded.sha : undefined;
  const opts = { cwd: repoDir, as };
  const found = branch
    ? await fetchCheckpoint(repoDir, job.id, branch, sha, sources, as, env)
    : { tip: undefined, available: false };
  const point = decideResumePoint({ recorded, branchTip: found.tip, recordedAvailable: found.available, local });
  const full = point.sha ? await git(["rev-parse", "--verify", `${point.sha}^{commit}`], opts) : undefined;
  const said = {
    ...(point.mismatch ? { mismatch: point.mismatch } : {}),
    ...(point.notice ? { notice: point.notice } : {}),
  };
  return { sha: full, branch: full ? branch : undefined, ...said };
}
