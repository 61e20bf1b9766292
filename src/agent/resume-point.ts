/**
 * @module agent/resume-point
 * Which commit a resumed job starts from, and whether its sources disagree. Three say where the last run got to:
 * the coordinator's record (`job.checkpoint {branch, sha}`: a fenced report, so the authority), the WIP branch as
 * fetched (its tip: what was pushed, which runs ahead of the record when a push landed and its announcement did
 * not, or was moved by someone else), and this host's own job record (the last checkpoint the coordinator
 * acknowledged to it). The recorded sha wins whenever it is there to start from; a branch tip is used only when the
 * record names no sha (an older coordinator) or its sha is not on the branch any more. Any disagreement is a
 * warning for the operator (`job.resume_mismatch`), not a silent pick. A record this host cannot reach at all (a job
 * retried here after a run on another host, whose checkpoint that host kept in its own checkpoints.git) is no
 * disagreement — it is how a fleet of hosts with their own checkpoint remotes works: an info line (`notice`) says the
 * run starts fresh. Pure: git answers come in as arguments.
 */

export interface ResumeSources {
  /** The coordinator's record of the job's checkpoint. */
  recorded?: { branch?: string; sha?: string };
  /** The recorded branch's tip as fetched; undefined when the branch could not be fetched. */
  branchTip?: string;
  /** Whether `recorded.sha` is a commit the fetched history holds. */
  recordedAvailable: boolean;
  /** This host's record of the last checkpoint the coordinator acknowledged to it, if any. */
  local?: { branch: string; sha: string };
}

export interface ResumePoint {
  /** The commit to start from; undefined = a fresh start. */
  sha: string | undefined;
  from: "recorded" | "branch_tip" | "none";
  /** Set when the sources disagree: what each said and what was chosen, for the operator (a warning). */
  mismatch?: string;
  /** Set when the record is only out of this host's reach and nothing disagrees: what happens instead (info). */
  notice?: string;
}

/** Same commit: the record may hold an abbreviated sha (7+ hex digits), git answers with full ones. */
export function sameCommit(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/**
 * Whether `branch` is one of `jobId`'s own WIP branches: `gf/wip/<jobId>-e<epoch>` (agent/workspace
 * `checkpointBranch`) or the `gf/wip/<jobId>` older agents pushed. The coordinator's record names whatever branch a
 * lease holder reported, so the agent deletes a branch it resumed from only when it is one of these (a record saying
 * `release` deleted that branch of the job's repository), and reads only these from the host's checkpoint remote,
 * where the jobs of every product this host serves push theirs.
 */
export function isOwnWipBranch(jobId: string, branch: string): boolean {
  const own = `gf/wip/${jobId}`;
  return branch === own || (branch.startsWith(`${own}-e`) && /^\d+$/.test(branch.slice(own.length + 2)));
}

const short = (sha: string | undefined) => (sha ? sha.slice(0, 12) : "none");

/**
 * Why the recorded checkpoint is not resumed from, in words true for what this host found. The branch fetched but
 * without the commit: it is not on its branch (moved by someone else). The branch on no source this host reads: it is
 * not here at all — a job requeued from a host whose push to the job's repository was refused (or that has none) left
 * it in that host's own checkpoints.git, out of this one's reach; "not on its branch" said a branch was found.
 */
function recordAbsent(recorded: { branch?: string; sha?: string }, s: ResumeSources): string | undefined {
  const { branch, sha } = recorded;
  if (sha && s.recordedAvailable) return undefined;
  if (s.branchTip) return undefined; // found, but moved off the recorded commit: a disagreement (recordMoved)
  const commit = sha ? `, nor is its checkpoint ${short(sha)} here` : "";
  if (!branch) return sha ? `recorded checkpoint ${short(sha)} is not here` : undefined;
  return (
    `branch ${branch} is on no source this host can fetch${commit} ` +
    "(a checkpoint another host kept in its own checkpoints.git is out of this one's reach)"
  );
}

/** The branch fetched without the recorded commit: someone moved it — the sources disagree. */
function recordMoved(recorded: { sha?: string }, s: ResumeSources): string | undefined {
  const { sha } = recorded;
  return sha && !s.recordedAvailable && s.branchTip
    ? `recorded checkpoint ${short(sha)} is not on its branch`
    : undefined;
}

/** Decide the resume point from `s` (see the module comment for the rules). */
export function decideResumePoint(s: ResumeSources): ResumePoint {
  const { recorded, branchTip, local } = s;
  let point: ResumePoint;
  if (!recorded?.branch && !recorded?.sha) point = { sha: undefined, from: "none" };
  else if (recorded.sha && s.recordedAvailable) point = { sha: recorded.sha, from: "recorded" };
  else if (branchTip) point = { sha: branchTip, from: "branch_tip" };
  else point = { sha: undefined, from: "none" };

  const said: string[] = [];
  const moved = recorded ? recordMoved(recorded, s) : undefined;
  if (moved) said.push(moved);
  if (recorded?.branch && branchTip && point.sha && !sameCommit(branchTip, point.sha))
    said.push(`branch ${recorded.branch} is at ${short(branchTip)}`);
  // This host's record speaks for the same lease's branch only; an older lease's branch is expected to be behind.
  const sameLease = local && (!recorded?.branch || local.branch === recorded.branch);
  if (local && sameLease && !(point.sha && sameCommit(local.sha, point.sha)))
    said.push(`this host last had ${short(local.sha)} acknowledged on ${local.branch}`);
  const absent = recorded ? recordAbsent(recorded, s) : undefined;
  if (said.length === 0 && !absent) return point;
  const chose =
    point.from === "none" ? "starting fresh" : `resuming from ${short(point.sha)} (${point.from.replace("_", " ")})`;
  const record = recorded?.branch || recorded?.sha ? `${short(recorded.sha)} on ${recorded.branch ?? "?"}` : "none";
  const text = `coordinator recorded ${record}; ${[absent, ...said].filter(Boolean).join("; ")}: ${chose}`;
  // Out of reach and nothing else said: the routine retry on another host — told, not warned.
  return said.length === 0 ? { ...point, notice: text } : { ...point, mismatch: text };
}
