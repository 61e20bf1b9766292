/**
 * @module core/artifact-limits
 * How much a job may keep in R2, and the pure rule that checks an upload against it. Each artifact is bounded
 * (MAX_ARTIFACT_BYTES), and so is the job as a whole: its count of artifacts and their total bytes. Without the
 * per-job bounds a lease holder could store any number of 25 MiB objects under one job, each pointer adding a feed
 * event, until retention purged the job 30 days after it ended. A re-upload of a name replaces that artifact, so
 * its old size is left out of the job's usage (`usage` is "everything but this name") and it never counts twice.
 */
import { DomainError } from "./errors.ts";

/** Bytes per artifact. Logs and diffs of an agent run fit easily; bigger outputs belong in the repo. */
export const MAX_ARTIFACT_BYTES = 25 * 1024 * 1024;

/**
 * Artifacts per job. An agent run uploads two (`log.txt`, `diff.patch`), replaced by every later run; 100 leaves
 * room for an operator's or a custom engine's reports and stays one page of the list at its largest.
 */
export const MAX_ARTIFACTS_PER_JOB = 100;

/** Bytes per job, all artifacts together: ten artifacts at the per-artifact maximum, plus room. */
export const MAX_JOB_ARTIFACT_BYTES = 256 * 1024 * 1024;

/**
 * How long an upload may take from its intent (recorded before its bytes stream) to its commit, ms. Past it the
 * intent is taken as a dead upload's and its bytes deleted (feed/upload-intents); a commit after that is refused.
 * 6 h: 25 MiB over a 1.2 KB/s link, far past any upload a Worker request carries, and still bounds orphan bytes.
 */
export const UPLOAD_INTENT_TTL_MS = 6 * 3_600_000;

/** A list page's artifacts: 50 by default, at most MAX_ARTIFACTS_PER_JOB (a whole job in one page). */
export const ARTIFACT_PAGE_DEFAULT = 50;

/** What a job already holds, leaving out the artifact of the name being uploaded (which the upload replaces). */
export interface ArtifactUsage {
  /** Artifacts of other names. */
  count: number;
  /** Their total size, bytes. */
  bytes: number;
}

/**
 * Whether an artifact of `size` bytes fits beside `usage`. Pure.
 * @returns undefined when it fits; else the refusal: `too_many_artifacts` (409) at MAX_ARTIFACTS_PER_JOB others,
 *   `payload_too_large` (413) when the job's total would pass MAX_JOB_ARTIFACT_BYTES — each naming its limit
 */
export function artifactRefusal(jobId: string, usage: ArtifactUsage, size: number): DomainError | undefined {
  if (usage.count >= MAX_ARTIFACTS_PER_JOB) {
    return new DomainError(
      "too_many_artifacts",
      `job ${jobId} already has ${usage.count} artifacts, the most a job may keep (${MAX_ARTIFACTS_PER_JOB}); ` +
        "re-upload one of its names or delete one first",
      { limit: MAX_ARTIFACTS_PER_JOB, count: usage.count },
    );
  }
  if (usage.bytes + size > MAX_JOB_ARTIFACT_BYTES) {
    return new DomainError(
      "payload_too_large",
      `job ${jobId}'s artifacts would total ${usage.bytes + size} bytes, over the per-job limit of ` +
        `${MAX_JOB_ARTIFACT_BYTES} bytes (${usage.bytes} kept, ${size} in this upload); delete some first`,
      { limit: MAX_JOB_ARTIFACT_BYTES, kept: usage.bytes, size },
    );
  }
  return undefined;
}
