/**
 * @module agent/host-refusal
 * The jobs this host, as its operator configured it, will not run — told apart from a job that fails. Such a job is
 * rejected (shared/protocol `reject`: requeued without spending an attempt, and kept from this host for a long backoff,
 * core/exclusions) so a host configured for it takes it; reported as a failure, it was retried on this same host,
 * failing each time in a second, until dead_letter — and the automatic lesson that records (coordinator policies/
 * lessons) told the engines of other jobs to "start it with --allow-local-repos", which no engine can do.
 * A missing engine is the other such refusal (agent/engines `pickEngine`).
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
