/**
 * @module agent/host-refusal
 * The jobs this host, as its operator configured it, will not run — told apart from a job that fails. Such a job is
 * rejected (shared/protocol `reject`: requeued without spending an attempt, and kept from this host for a long backoff,
 * core/exclusions) so a host configured for it takes it; reported as a failure, it was retried on this same host,
 * failing each time in a second, until dead_letter — and the automatic lesson that records (coordinator policies/
 * lessons) told the engines of other jobs to "start it with --allow-local-repos", which no engine can do.
 * A missing engine is another such refusal (agent/engines `pickEngine`), an engine that cannot start one more
 * (agent/engine-start), and a disk too full to prepare the job's workspace the last (`diskFullRefusal`).
 */
import type { Job } from "../core/model.ts";
import { isLocalRepo } from "../core/repo-url.ts";

/**
 * Why this host will not clone `job.repo` — a path on this host (`/srv/git/app.git`) while `allowLocalRepos`
 * (`--allow-local-repos`) is off — or undefined (no repo, a URL, or local repos allowed).
 */
export function hostRefusal(job: Pick<Job, "repo">, opts: { allowLocalRepos?: boolean }): string | undefined {
  if (!job.repo || !isLocalRepo(job.repo) || opts.allowLocalRepos) return undefined;
  return `repo ${job.repo} is a path on this host, which this agent does not clone (start it with --allow-local-repos)`;
}

/** What git and node:fs say when a write found no room: a full disk or a user over its quota. */
const NO_ROOM = /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/;

/**
 * Why this host cannot start a job when `err` (a failure before its engine started: the workspace's preparation, the
 * job's record or files) says the disk is full, or undefined for any other failure. A full disk is this host's
 * problem, not the job's: failed, every job the host took was failed in a second and spent an attempt (a host with a
 * full disk takes the next at once), until each was dead-lettered; given back (`reject`), it goes to a host with
 * room. Not after its engine ran: that engine may be what filled the disk. The text leads with the fix: git's or
 * node's own words follow, and a reason is cut at 500 bytes.
 */
export function diskFullRefusal(err: unknown, dirs: { workDir: string; stateDir: string }): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (!NO_ROOM.test(message)) return undefined;
  return (
    `no space left on this host (work dir ${dirs.workDir}, state dir ${dirs.stateDir}): free space there (the ` +
    `repository mirrors in ${dirs.workDir}/mirrors are caches, removable while no job runs from them) — ${message}`
  );
}
