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
 * both in one pass at one instant — so once every key has its row, a key is found by its hash row alone: one
 * statement per lookup. It was two (the `jobs` column was read after every miss, for keys older than the hash rows):
 * W1 spent 4 statements a job on key look-ups, 2 of them that fallback, which never found a key written since
 * (issue 12, bench/README's forty-second pass). Keys only the column holds (a job made before hash rows were stored,
 * or whose row an older retention pass pruned apart from its column) are given their hash row by `fillKeyHashes`,
 * with the hash that fallback used to recompute from the job's stored manifest and body — KEY_FILL_CHUNK keyed jobs
 * a step, one step at the coordinator's start and the rest in its alarms (runtime/composition): a product with
 * 100,000 legacy jobs filled in one constructor step could outrun a start's time limit, and a start that dies there
 * dies on every start. Until the last step marks the fill done, a miss still reads the `jobs` column (and writes the
 * row it found), so a key not yet filled is found all the same.
 */

import type { Job } from "../../../core/model.ts";
import { requestHash } from "../../../shared/request-hash.ts";
import { execute } from "../../sql-statements.ts";
import { deleteMeta, getMeta, setMeta } from "../runtime/meta.ts";
import { one } from "../runtime/tx.ts";

/** What a key already names, if anything. */
export interface KeyRecord {
  jobId: string;
  requestHash: string;
}

/**
 * The job a key already names, with the hash of the request that made it; undefined for a new key. One statement
 * once the fill is done; while it is under way, a miss reads the `jobs` column too (`columnKey`).
 */
export function findKey(sql: SqlStorage, key: string): KeyRecord | undefined {
  const row = one<{ job_id: string; request_hash: string }>(
    sql,
    "SELECT job_id, request_hash FROM idempotency_keys WHERE key = ?",
    key,
  );
  if (row) return { jobId: row.job_id, requestHash: row.request_hash };
  return keyHashesPending(sql) ? columnKey(sql, key) : undefined;
}

/** The `meta` key marking that every key the `jobs` column holds has its hash row (`fillKeyHashes` finished). */
export const KEY_HASHES_FILLED = "key_hashes_filled";
/** The `meta` key holding the last key a `fillKeyHashes` step walked (present only while the fill is under way). */
export const KEY_FILL_CURSOR = "key_hashes_cursor";
/** Keyed jobs one `fillKeyHashes` step walks: a hash each at most, milliseconds a step. */
export const KEY_FILL_CHUNK = 500;

/**
 * A request hash no SHA-256 (64 hex digits) equals: the hash row of a key whose job's document cannot be hashed, so
 * the key answers 409 `conflict` rather than "new" (whose insert the column's UNIQUE constraint would refuse).
 */
const UNHASHABLE = "unhashable";

/**
 * The next keyed jobs past the cursor `?1`, in key order along the column's UNIQUE index, at most `?2`: each with
 * its document when its key has no hash row yet (`doc` NULL when it has one: nothing to fill, nothing to parse).
 */
const NEXT_KEYED = `SELECT j.idempotency_key AS key, j.id, j.created_at,
  CASE WHEN EXISTS (SELECT 1 FROM idempotency_keys AS k WHERE k.key = j.idempotency_key) THEN NULL ELSE j.doc END AS doc
  FROM jobs AS j WHERE j.idempotency_key > ?1 ORDER BY j.idempotency_key LIMIT ?2`; // bound-limit: one text for any chunk (tests walk small ones); a few runs in an object's life

/** Whether keys only the `jobs` column holds may remain (the fill has not finished): from memory once read. */
export function keyHashesPending(sql: SqlStorage): boolean {
  return getMeta(sql, KEY_HASHES_FILLED) === undefined;
}

/**
 * One step of the schema upgrade (runtime/schema `applySchema` at the start, then runtime/composition's alarm while
 * `keyHashesPending`): the next KEY_FILL_CHUNK keyed jobs after the stored cursor, each whose key has no hash row
 * given one — SHA-256 of the job's stored manifest and body (what a lookup used to recompute on every miss), dated at
 * the job's creation so that jobs/key-prune forgets row and column in the same pass. The cursor is kept in `meta`
 * (KEY_FILL_CURSOR); the step that walks past the last key drops it and sets the KEY_HASHES_FILLED mark, so a later
 * start reads one row, not every keyed job. Keys written meanwhile have their rows already (jobs/submit).
 * @param chunk keyed jobs walked at most (default KEY_FILL_CHUNK)
 * @returns how many hash rows the step wrote (0 once marked)
 */
export function fillKeyHashes(sql: SqlStorage, chunk = KEY_FILL_CHUNK): number {
  if (!keyHashesPending(sql)) return 0;
  const cursor = getMeta(sql, KEY_FILL_CURSOR) ?? "";
  const rows = sql
    .exec<{ key: string; id: string; created_at: number; doc: string | null }>(NEXT_KEYED, cursor, chunk)
    .toArray();
  let filled = 0;
  for (const r of rows) {
    if (r.doc === null) continue;
    recordKey(sql, r.key, hashOfDoc(r.doc), r.id, r.created_at);
    filled++;
  }
  const last = rows.at(-1);
  if (rows.length === chunk && last) setMeta(sql, KEY_FILL_CURSOR, last.key);
  else {
    deleteMeta(sql, KEY_FILL_CURSOR);
    setMeta(sql, KEY_HASHES_FILLED, "1");
  }
  return filled;
}

/**
 * A key only the `jobs` column holds (the fill has not reached it yet), with the hash its fill step would give it —
 * and that hash row, written now, so the next lookup (and jobs/batch-read, which joins hash rows alone) finds it.
 */
function columnKey(sql: SqlStorage, key: string): KeyRecord | undefined {
  const job = one<{ id: string; created_at: number; doc: string }>(
    sql,
    "SELECT id, created_at, doc FROM jobs WHERE idempotency_key = ?",
    key,
  );
  if (!job) return undefined;
  const hash = hashOfDoc(job.doc);
  recordKey(sql, key, hash, job.id, job.created_at);
  return { jobId: job.id, requestHash: hash };
}

/** The request hash of a stored job document; UNHASHABLE for one that does not parse or hash. */
function hashOfDoc(doc: string): string {
  try {
    const job = JSON.parse(doc) as Job;
    return requestHash({ manifest: job.manifest, bodyMd: job.bodyMd });
  } catch {
    // A document no lookup could hash either: a start that threw here would leave the product without a coordinator.
    return UNHASHABLE;
  }
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

/**
 * What submitting each request would meet, so a producer can refuse conflicts before queueing. Writes nothing but,
 * while the fill is under way, the hash row of a key found through the `jobs` column (`findKey`).
 */
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
