/**
 * @module durable-objects/coordinator/jobs/batch-read
 * `GET …/batches/{batchId}` (jobs/batches holds the rows): the batch with each item's job, found by its idempotency
 * key. An item becomes `created` once a job holds its key for the same request (same hash); a job under its key from
 * another request means the queue consumer refused the item (`rejected`, `conflict`). A resolved item is written back.
 * While the route has not confirmed the batch's sends (jobs/batches `settleSends`: `sent_at` NULL), an item still
 * `queued` reads rejected `unavailable` — its message may never have left, and the client was told to resend under
 * the same Idempotency-Key (worker/bulk-failures) — read-side only, nothing written for it.
 *
 * Cost: a client polls this, and a batch holds up to 10,000 items. Looking each unsettled item's key up one statement
 * at a time cost two statements per item and poll (a key row, then the legacy `jobs` column): 20,000 for a queued
 * 10,000-item batch, about 1 s in the local runtime, on every poll. Now a read is two statements whatever the
 * batch's size — the batch row, and one SELECT of the batch's own rows in primary-key order, each unsettled one
 * joined to its key's hash row by index — plus, on a poll that found jobs for unsettled items, one UPDATE that writes
 * them all back. Every key a job holds has its hash row (jobs/idempotency `fillKeyHashes`; while that fill is under
 * way, the queue consumer's lookup of a key it has not reached writes the row), so the hash row alone answers. The
 * answers are those of the per-item lookup (jobs/idempotency `findKey`), which test/integration/batch-read-cost.test.ts
 * holds it to.
 */
import { batchRepeats } from "../../../core/batch-repeats.ts";
import { NotFoundError } from "../../../core/errors.ts";
import type { BatchItemView, BatchView } from "../../../shared/api-batches.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * Items that may still change (as SQL over `batch_items AS b`): `queued`, or rejected `unavailable` — not queued (the
 * queue refused its message) or dead-lettered, which is not final: its message may yet make its job (a redrive of the dead
 * letter, a send the queue took though it answered with an error, or the client's resend under the same key). Left
 * `unavailable`, such an item read "rejected: resend it" for good while its job existed (found by a bulk reviewer).
 * Every other refusal (a bad manifest, a dead dep, a conflict) is for good.
 */
export const UNSETTLED_SQL =
  "b.key IS NOT NULL AND (b.status = 'queued' OR (b.status = 'rejected' AND b.code = 'unavailable'))";

/**
 * An item's key when it is unsettled, else NULL: joined on this, a settled item's key is not even looked up (its
 * seek finds nothing and reads no row), so a batch whose jobs all exist reads only its own rows.
 */
const UNSETTLED_KEY = `(CASE WHEN ${UNSETTLED_SQL} THEN b.key END)`;

/** Every unsettled item of batch `?` whose key has a hash row: `created` with its job for the same request, else a conflict. */
const SETTLE_BY_KEY_ROWS = `UPDATE batch_items AS b SET
  status = CASE WHEN k.request_hash = b.hash THEN 'created' ELSE 'rejected' END,
  job_id = CASE WHEN k.request_hash = b.hash THEN k.job_id END,
  code = CASE WHEN k.request_hash = b.hash THEN NULL ELSE 'conflict' END
  FROM idempotency_keys AS k WHERE b.batch_id = ? AND k.key = b.key AND ${UNSETTLED_SQL}`;

/** The batch's items in order, with what settles an unsettled one: `k_job`/`k_hash`, the key's hash row. */
const ITEMS = `SELECT b.idx, b.key, b.hash, b.status, b.job_id, b.code,
  k.job_id AS k_job, k.request_hash AS k_hash
  FROM batch_items AS b
  LEFT JOIN idempotency_keys AS k ON k.key = ${UNSETTLED_KEY}
  WHERE b.batch_id = ? ORDER BY b.idx`;

type ItemRow = {
  idx: number;
  key: string | null;
  hash: string | null;
  status: string;
  job_id: string | null;
  code: string | null;
  k_job: string | null;
  k_hash: string | null;
};

/**
 * The batch now, resolving unsettled items through their keys (and writing back the ones that resolved).
 * @throws NotFoundError — no such batch (never recorded, or pruned by retention: jobs/batches `pruneBatches`).
 */
export function readBatch(tx: Tx, id: string): BatchView {
  const batch = tx.sql
    .exec<{ created_at: number; total: number; sent_at: number | null }>(
      "SELECT created_at, total, sent_at FROM batches WHERE id = ?",
      id,
    )
    .toArray()[0];
  if (!batch) throw new NotFoundError("batch", id);
  const rows = tx.sql.exec<ItemRow>(ITEMS, id).toArray();
  // Written back only when something changed since the last poll, in one statement however many items it settles.
  if (rows.some((r) => r.k_job !== null)) execute(tx.sql, SETTLE_BY_KEY_ROWS, id);
  const confirmed = batch.sent_at !== null;
  const views = rows.map((r) => viewOf(settled(r), confirmed));
  // Identical keyless items share a content key (core/batch-repeats): said, so "3 created" is not read as 3 jobs.
  // Grouped by their job once they have one (a key pruned and taken again names another job), else by their key.
  const { repeatOf, keys } = batchRepeats(
    views.flatMap((i) =>
      i.status === "rejected" || i.key === undefined ? [] : [{ index: i.index, key: i.jobId ?? `key:${i.key}` }],
    ),
  );
  const items = views.map((i) => (repeatOf.has(i.index) ? { ...i, repeatOf: repeatOf.get(i.index)! } : i));
  const count = (s: BatchItemView["status"]) => items.filter((i) => i.status === s).length;
  const queued = count("queued");
  return {
    id,
    createdAt: batch.created_at,
    total: batch.total,
    created: count("created"),
    existing: count("existing"),
    queued,
    rejected: count("rejected"),
    jobs: keys,
    items,
    done: queued === 0,
  };
}

/** Row `r` as it is now: settled by its key's hash row as SETTLE_BY_KEY_ROWS wrote it, else as it was. */
function settled(r: ItemRow): ItemRow {
  if (r.k_job === null) return r;
  return r.k_hash === r.hash
    ? { ...r, status: "created", job_id: r.k_job, code: null }
    : { ...r, status: "rejected", job_id: null, code: "conflict" };
}

/**
 * A row as the API shows it; in a batch whose sends are not `confirmed`, a `queued` one (no job holds its key) as
 * rejected `unavailable`: not confirmed sent, resend it with the same Idempotency-Key.
 */
function viewOf(r: ItemRow, confirmed: boolean): BatchItemView {
  const [status, code] = r.status === "queued" && !confirmed ? ["rejected", "unavailable"] : [r.status, r.code];
  return {
    index: r.idx,
    ...(r.key !== null ? { key: r.key } : {}),
    status: status as BatchItemView["status"],
    ...(r.job_id !== null ? { jobId: r.job_id } : {}),
    ...(code !== null ? { code } : {}),
  };
}
