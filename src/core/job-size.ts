/**
 * @module core/job-size
 * Whether a job just made at submit fits the document dispatch may hand out (`maxBytes`, shared/protocol-assignment
 * MAX_ASSIGNED_JOB_BYTES), decided without serializing it when a cheap upper bound already proves it. Pure.
 */
import { jsonBytes } from "./bytes.ts";
import type { Job } from "./model.ts";

/**
 * 64 KiB: the most a new job's JSON holds besides its `bodyMd`, for a manifest within its schema's bounds
 * (core/manifest-schema). JSON writes one UTF-16 unit as at most 6 bytes (`\u0001`, a lone surrogate `\udc00`), and
 * a text bounded at N bytes of UTF-8 has at most N units; each manifest field is written twice (under `manifest` and
 * at the top level). Title, idempotency key and serial key, 800 bytes each: 3 × 2 × 4,802. Repo, 500 bytes:
 * 2 × 3,002. requires and prefers, 32 plain names of ≤ 64 characters: 2 × 2 × 2,146. deps, 100 ids of ≤ 64:
 * 2 × 6,702. engine, class, parentId, product and job ids: < 1 KiB. Keys, numbers, enums and punctuation: < 3 KiB.
 * About 58 KB in all (core/job-size.test builds that worst case).
 */
export const JOB_FIELDS_JSON_BOUND = 64 * 1024;

/** At most 6 bytes of JSON per UTF-16 unit of the body (a control character escapes as `\u00XX`). */
const BYTES_PER_BODY_UNIT = 6;

/**
 * A new job's JSON size against `maxBytes`: `undefined` when it fits, else its size in bytes.
 * The bound `6 × bodyMd.length + JOB_FIELDS_JSON_BOUND` is not above the limit for any body of up to ~136,000 UTF-16
 * units at the 864 KiB limit, so a typical submit never serializes here; past it, the job is measured exactly.
 * @returns undefined (fits) or the job's JSON size, bytes of UTF-8 (> maxBytes)
 */
export function oversizedJob(job: Job, maxBytes: number): number | undefined {
  if (job.bodyMd.length * BYTES_PER_BODY_UNIT + JOB_FIELDS_JSON_BOUND <= maxBytes) return undefined;
  const size = jsonBytes(job);
  return size > maxBytes ? size : undefined;
}
