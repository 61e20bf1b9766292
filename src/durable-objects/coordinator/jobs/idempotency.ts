/**
 * @module durable-objects/coordinator/jobs/idempotency
 * Idempotency keys stored with a SHA-256 of the request they came with, so a
 * repeat is told apart from a different request reusing the key: the first gets
 * its job back, the second a 409 `conflict` naming the key instead of being
 * silently dropped. The request is normalised first (validated manifest with its
 * defaults, keys sorted at every depth, the body verbatim), so spelling a default
 * out or sending markdown instead of JSON is still the same request.
 *
 * Table `idempotency_keys` (schema.ts) may be pruned of old rows; a key whose
 * row is gone, or predates the table, is still found through `jobs` and its
 * hash recomputed from the job's stored manifest and body.
 */
import { requestHash } from "../../../shared/request-hash.ts";
import { execute } from "../../sql-statements.ts";
import { one } from "../runtime/tx.ts";
import { loadJob } from "./rows.ts";

/** What a key already names, if anything. */
export interface KeyRecord {
  jobId: string;
  requestHash: string;
}

/** The job a key already names, with the hash of the request that made it; undefined for a new key. */
export function findKey(sql: SqlStorage, key: string): KeyRecord | undefined {
  const row = one<{ job_id: string; request_hash: string }>(
    sql,
    "SELECT job_id, request_hash FROM idempotency_keys WHERE key = ?",
    key,
  );
  if (row) return { jobId: row.job_id, requestHash: row.request_hash };
  const legacy = one<{ id: string }>(sql, "SELECT id FROM jobs WHERE idempotency_key = ?", key);
  const job = legacy ? loadJob(sql, legacy.id) : undefined;
  return job ? { jobId: job.id, requestHash: requestHash({ manifest: job.manifest, bodyMd: job.bodyMd }) } : undefined;
}

/** Binds a key to the job its request created (same atomic unit as the job's insert). */
export function recordKey(sql: SqlStorage, key: string, hash: string, jobId: string, now: number): void {
  execute(
    sql,
    "INSERT OR REPLACE INTO idempotency_keys(key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?)",
    key,
    hash,
    jobId,
    now,
  );
}

/** Per `{key, hash}`: `new`, `exists` (same request: its job) or `conflict` (another request holds the key). */
export type KeyVerdict = { verdict: "new" } | { verdict: "exists" | "conflict"; jobId: string };

/** Read-only: what submitting each request would meet, so a producer can refuse conflicts before queueing. */
export function keyVerdicts(sql: SqlStorage, entries: ReadonlyArray<{ key: string; hash: string }>): KeyVerdict[] {
  return entries.map(({ key, hash }) => {
    const seen = findKey(sql, key);
    if (!seen) return { verdict: "new" };
    return { verdict: seen.requestHash === hash ? "exists" : "conflict", jobId: seen.jobId };
  });
}
