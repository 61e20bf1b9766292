/**
 * @module core/artifact-limits
 * How much a job may keep in R2, and the pure rule that checks an upload against it. Each artifact is bounded
 * (MAX_ARTIFACT_BYTES), and so is the job as a whole: its count of artifacts and their total bytes. Without the
 * per-job bounds a lease holder could store any number of 25 MiB objects under one job, each pointer adding a feed
 * event, until retention purged the job 30 days after it ended. A re-upload of a name replaces that artifact, so
 * its old size is left out of the job's usage (`usage` is "everything but this name") and it never counts twice.
 *
 * An upload is checked twice. When it begins, before a byte streams, it reserves its slot and its declared size
 * (`reservationRefusal`): uploads in flight count beside the artifacts kept, so N concurrent uploads cannot all pass
 * and stream, only to be refused at their commits. When it commits, `artifactRefusal` (kept artifacts only) is the
 * last guard — which a reserved upload always passes (test/unit/artifact-limits).
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

/**
 * What a job holds of its limits. For the commit's check, its artifacts leaving out the name being uploaded (which
 * the upload replaces); from `heldUsage`, the slots and bytes its artifacts and uploads in flight hold.
 */
export interface ArtifactUsage {
  /** Artifacts (slots). */
  count: number;
  /** Their total size, bytes. */
  bytes: number;
}

/** An artifact a job keeps, or an upload of one in flight: its name and its size, bytes. */
export interface ArtifactHold {
  name: string;
  /** Bytes: a kept artifact's size, or an upload's declared Content-Length (required; its body must match it). */
  size: number;
}

/**
 * What a job holds of its limits, uploads in flight counted: each name holds the larger of its kept artifact and
 * its uploads in flight — max(1 if kept, how many in flight) slots and max(kept size, the uploads' sizes summed)
 * bytes. A re-upload of a kept name thus counts once (its commit replaces the artifact), while every upload in
 * flight holds a slot and its bytes, so at most the limits' worth of uploads can stream at once. Pure.
 * @returns slots (`count`) and bytes held
 */
export function heldUsage(kept: readonly ArtifactHold[], inFlight: readonly ArtifactHold[]): ArtifactUsage {
  const keptSize = new Map(kept.map((k) => [k.name, k.size]));
  const flying = new Map<string, ArtifactUsage>();
  for (const u of inFlight) {
    const f = flying.get(u.name);
    flying.set(u.name, { count: (f?.count ?? 0) + 1, bytes: (f?.bytes ?? 0) + u.size });
  }
  let count = 0;
  let bytes = 0;
  for (const [name, size] of keptSize) {
    const f = flying.get(name);
    count += Math.max(1, f?.count ?? 0);
    bytes += Math.max(size, f?.bytes ?? 0);
  }
  for (const [name, f] of flying) {
    if (keptSize.has(name)) continue;
    count += f.count;
    bytes += f.bytes;
  }
  return { count, bytes };
}

/**
 * Whether `upload` may begin beside the artifacts `kept` and the uploads `inFlight` (each reserved when it began,
 * until it commits, fails or is given up): whether the job's `heldUsage` with it stays within the limits. Pure.
 * @returns undefined when it fits (reserve it); else `too_many_artifacts` (409) or `payload_too_large` (413),
 *   naming the limit, what is held, and how many uploads are in flight
 */
export function reservationRefusal(
  jobId: string,
  kept: readonly ArtifactHold[],
  inFlight: readonly ArtifactHold[],
  upload: ArtifactHold,
): DomainError | undefined {
  const before = heldUsage(kept, inFlight);
  const after = heldUsage(kept, [...inFlight, upload]);
  const uploading = inFlight.length;
  const held = `${kept.length} kept, ${uploading} being uploaded`;
  const wait = `an upload holds its room until it ends (if its request died, ${UPLOAD_INTENT_TTL_MS / 3_600_000} h)`;
  if (after.count > MAX_ARTIFACTS_PER_JOB) {
    return new DomainError(
      "too_many_artifacts",
      `job ${jobId} already holds ${before.count} artifacts (${held}), the most a job may keep ` +
        `(${MAX_ARTIFACTS_PER_JOB}); re-upload one of its names, delete one, or retry when an upload ends: ${wait}`,
      { limit: MAX_ARTIFACTS_PER_JOB, count: before.count, uploading },
    );
  }
  if (after.bytes > MAX_JOB_ARTIFACT_BYTES) {
    return new DomainError(
      "payload_too_large",
      `job ${jobId}'s artifacts would total ${after.bytes} bytes, over the per-job limit of ` +
        `${MAX_JOB_ARTIFACT_BYTES} bytes (${before.bytes} held by ${held}; ${upload.size} in this upload); ` +
        `delete some first, or retry when an upload ends: ${wait}`,
      {
        limit: MAX_JOB_ARTIFACT_BYTES,
        held: before.bytes,
        kept: heldUsage(kept, []).bytes,
        size: upload.size,
        uploading,
      },
    );
  }
  return undefined;
}

/**
 * Whether an artifact of `size` bytes fits beside `usage` (the commit's check: kept artifacts only). Pure.
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
