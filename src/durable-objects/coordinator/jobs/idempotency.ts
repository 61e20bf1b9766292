/**
 * @module durable-objects/coordinator/jobs/idempotency
 * Idempotency keys stored with a SHA-256 of the request they came with, so a
 * repeat is told apart from a different request reusing the key: the first gets
 * its job back, the second a 409 `conflict` naming the key instead of being
 * silently dropped. The request is normalised first (validated manifest with its
 * defaults, keys sorted at every depth, the body verbatim), so spelling a default
 * out or sending markdown instead of JSON is still the same request.
 *
 * A key lives in two stores: its hash row in `idempotency_keys` (schema.ts) and the job's `jobs.idempotency_key`
 * column (UNIQUE). Every writer keeps them together — jobs/submit writes both in one unit, jobs/key-prune forgets
 * both in one pass at one instant — so a key is found by its hash row alone: one statement per lookup. It was two
 * (the `jobs` column was read after every miss, for keys older than the hash rows): W1 spent 4 statements a job
 * on key look-ups, 2 of them that fallback, which never found a key written since (issue 12, bench/README's
 * forty-second pass). Keys only the column holds (a job made before hash rows were stored, or whose row an older
 * retention pass pruned apart from its column) are given their hash row once, at the coordinator's start
 * (`fillKeyHashes`), with the hash that fallback used to recompute from the job's stored manifest and body.
 */

import type { Job } from "../../../core/model.ts";
import { requestHash } from "../../../shared/request-hash.ts";
import { execute } from "../../sql-statements.ts";
import { getMeta, setMeta } from "../runtime/meta.ts";
import { one } from "../runtime/tx.ts";

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
  return row ? { jobId: row.job_id, requestHash: row.request_hash } : undefined;
}

/** The `meta` key marking that every key the `jobs` column holds has its hash row (`fillKeyHashes` ran). */
export const KEY_HASHES_FILLED = "key_hashes_filled";

/** Keys the `jobs` column holds with no hash row: only ever data from before the two stores were kept together. */
const COLUMN_ONLY = `SELECT j.idempotency_key AS key, j.id, j.created_at, j.doc FROM jobs AS j
  WHERE j.idempotency_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM idempotency_keys AS k WHERE k.key = j.idempotency_key)`;

/**
 * Schema upgrade (runtime/schema `applySchema`), once per coordinator: each key only the `jobs` column holds gets its
 * hash row — SHA-256 of the job's stored manifest and body (what a lookup used to recompute on every miss), dated at
 * the job's creation so that jobs/key-prune forgets row and column in the same pass — then the `meta` mark, so a
 * later start reads one row, not every keyed job.
 * @returns how many hash rows it wrote (0 once marked)
 */
export function fillKeyHashes(sql: SqlStorage): number {
  if (getMeta(sql, KEY_HASHES_FILLED) !== undefined) return 0;
  const rows = sql.exec<{ key: string; id: string; created_at: number; doc: string }>(COLUMN_ONLY).toArray();
  let filled = 0;
  for (const r of rows) {
    let hash: string;
    try {
      const job = JSON.parse(r.doc) as Job;
      hash = requestHash({ manifest: job.manifest, bodyMd: job.bodyMd });
    } catch {
      // A document no lookup could hash either (the fallback threw on it too): its key stays as it was, and a start
      // that threw here would leave the whole product without a coordinator.
      continue;
    }
    recordKey(sql, r.key, hash, r.id, r.created_at);
    filled++;
  }
  setMeta(sql, KEY_HASHES_FILLED, String(filled));
  return filled;
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

/**
 * Per `{key, hash}`: `new`, `exists` (same request: its job) or `conflict` (another request holds the key). `key`:
 * the key that job holds, when it is not the one asked (a legacy batch key, `legacyBatchJob`).
 */
export type KeyVerdict = { verdict: "new" } | { verdict: "exists" | "conflict"; jobId: string; key?: string };

/**
 * One request asked about: its key and hash; `legacy`, for an item keyed under a batch's Idempotency-Key by its
 * content (worker/bulk-items `batchItemKey`): that batch's key prefix `batch:<K>:` and the item's occurrence `n`
 * among the identical items of its batch, so a key stored by position (`batch:<K>:<index>`) still answers it.
 */
export interface KeyQuery {
  key: string;
  hash: string;
  legacy?: { prefix: string; n: number };
}

/** Read-only: what submitting each request would meet, so a producer can refuse conflicts before queueing. */
export function keyVerdicts(sql: SqlStorage, entries: ReadonlyArray<KeyQuery>): KeyVerdict[] {
  const legacyRows = new Map<string, Map<string, LegacyKey[]>>(); // prefix → hash → its keys, by index
  return entries.map(({ key, hash, legacy }) => {
    const seen = findKey(sql, key);
    if (seen) return { verdict: seen.requestHash === hash ? "exists" : "conflict", jobId: seen.jobId };
    const old = legacy ? legacyBatchJob(sql, legacyRows, legacy.prefix, hash, legacy.n) : undefined;
    return old ? { verdict: "exists", jobId: old.jobId, key: old.key } : { verdict: "new" };
  });
}

/** A key a batch item was stored under by its position, `batch:<K>:<index>`, before keys were by content. */
interface LegacyKey {
  key: string;
  index: number;
  jobId: string;
}

/**
 * The job made for the `n`th (0-based) item with request hash `hash` of a batch stored by position under `prefix`
 * (`batch:<K>:`): the `n`th of that batch's position keys holding that hash, in index order. By content, not by the
 * index the item has now: a batch sent again with a file added before the others shifted every index, and the
 * lookup of `batch:<K>:<index>` found another item's job (409) or none (a second job for the same file). Read once
 * per prefix and request (`cache`): one range scan of the primary key over the keys under the prefix; a key with
 * anything but digits after the prefix (a content key, or a longer batch key's) is not a position key.
 */
function legacyBatchJob(
  sql: SqlStorage,
  cache: Map<string, Map<string, LegacyKey[]>>,
  prefix: string,
  hash: string,
  n: number,
): LegacyKey | undefined {
  let byHash = cache.get(prefix);
  if (!byHash) {
    byHash = new Map();
    // The prefix ends in ":" (0x3A); ";" (0x3B) bounds every key that starts with it under SQLite's binary order.
    const end = `${prefix.slice(0, -1)};`;
    const rows = sql
      .exec<{ key: string; request_hash: string; job_id: string }>(
        "SELECT key, request_hash, job_id FROM idempotency_keys WHERE key >= ? AND key < ?",
        prefix,
        end,
      )
      .toArray();
    for (const r of rows) {
      const rest = r.key.slice(prefix.length);
      if (!/^\d+$/.test(rest)) continue;
      const list = byHash.get(r.request_hash) ?? [];
      list.push({ key: r.key, index: Number(rest), jobId: r.job_id });
      byHash.set(r.request_hash, list);
    }
    for (const list of byHash.values()) list.sort((a, b) => a.index - b.index);
    cache.set(prefix, byHash);
  }
  return byHash.get(hash)?.[n];
}
