/**
 * @module durable-objects/coordinator/jobs/batches
 * Bulk batches (`POST …/jobs:batch`, issue 12 item 3): the route records each batch's items here before it queues them,
 * and `GET …/batches/{batchId}` reads them back with each item's job, found by its idempotency key (jobs/batch-read) —
 * so a client knows when its jobs exist. The route confirms its sends in one call (`settleSends`: the items the queue
 * refused, and the batch's `sent_at`); until then an item recorded `queued` whose job does not exist reads as not
 * queued — so a route that fails between the two (its coordinator call lost) leaves no item waited on for ever. The
 * queue consumer rejects an item it refused (a cycle, a parent that ended: `rejectQueuedItems`), and so does a message
 * that was dead-lettered instead of delivered (`rejectUndelivered`, code `unavailable`).
 *
 * Bounded: batches live as long as the idempotency keys they are read through (core/retention
 * `keysCreatedBefore`) and at most MAX_BATCHES per product; jobs/retention's pass prunes both, bounded per pass.
 */
import type { BatchItemRecord } from "../../../shared/api-batches.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";
import { findKey } from "./idempotency.ts";

/**
 * Applied by runtime/schema. Items carry the batch's `created_at` so pruning them needs no join. `sent_at` (ms): when
 * the route confirmed its sends; NULL until then; 0 for a batch recorded before the column (`applyBatchColumns`),
 * which counts as confirmed, as every batch did then.
 */
export const BATCHES_SQL = `
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, total INTEGER NOT NULL, sent_at INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS batches_by_created ON batches(created_at);
CREATE TABLE IF NOT EXISTS batch_items (
  batch_id TEXT NOT NULL, idx INTEGER NOT NULL, created_at INTEGER NOT NULL,
  key TEXT, hash TEXT, status TEXT NOT NULL, job_id TEXT, code TEXT,
  PRIMARY KEY (batch_id, idx)
);
CREATE INDEX IF NOT EXISTS batch_items_by_created ON batch_items(created_at);
CREATE INDEX IF NOT EXISTS batch_items_queued_by_key ON batch_items(key) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS batch_items_rejected_by_key ON batch_items(key) WHERE status = 'rejected';
`;

/** Batches kept per product beyond the age cut-off's bound: 10,000 × up to 10,000 items is the worst case on disk. */
export const MAX_BATCHES = 10_000;
/** Item rows pruned per pass: one full batch (BatchBody allows 10,000 items). */
const ITEMS_PER_PASS = 10_000;
/** Batch rows pruned per pass. */
const BATCHES_PER_PASS = 1_000;

/**
 * `batches.sent_at` on a coordinator stored before it: added in place, idempotently (an ALTER only when missing). Old
 * rows take the default 0 — confirmed. Run by runtime/schema `applySchema`.
 */
export function applyBatchColumns(sql: SqlStorage): void {
  if (!columnsOf(sql, "batches").has("sent_at"))
    execute(sql, "ALTER TABLE batches ADD COLUMN sent_at INTEGER DEFAULT 0");
}

/**
 * Records a batch the bulk route accepted (`now`: when, ms). Idempotent by batch id. `sending`: the route sends its
 * `queued` items after this and confirms them with `settleSends`; until then the batch is unconfirmed (`sent_at`
 * NULL). Without it, or with no item to queue, the batch is confirmed at once.
 */
export function recordBatch(tx: Tx, id: string, items: readonly BatchItemRecord[], sending = false): void {
  const unconfirmed = sending && items.some((i) => i.status === "queued");
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO batches(id, created_at, total, sent_at) VALUES (?, ?, ?, ?)",
    id,
    tx.now,
    items.length,
    unconfirmed ? null : tx.now,
  );
  for (const i of items) {
    execute(
      tx.sql,
      `INSERT OR REPLACE INTO batch_items(batch_id, idx, created_at, key, hash, status, job_id, code)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      i.index,
      tx.now,
      i.key ?? null,
      i.hash ?? null,
      i.status === "exists" ? "existing" : i.status, // its job was there before: read as such (jobs/batch-read)
      i.jobId ?? null,
      i.code ?? null,
    );
  }
}

/**
 * The route's sends for batch `id` are done: `unsent` items (the queue refused their message) are `rejected` with
 * their code — only an item still `queued` changes — and the batch is stamped confirmed (`sent_at`: `now`), its
 * other items and total left as they are. One row write beyond the refused items: no per-item write for the sent
 * ones, which stay `queued` as recorded (the bulk path is the throughput benchmark's, issue 12).
 */
export function settleSends(tx: Tx, id: string, unsent: readonly BatchItemRecord[]): void {
  for (const i of unsent) {
    execute(
      tx.sql,
      "UPDATE batch_items SET status = 'rejected', code = ? WHERE batch_id = ? AND idx = ? AND status = 'queued'",
      i.code ?? "rejected",
      id,
      i.index,
    );
  }
  execute(tx.sql, "UPDATE batches SET sent_at = ? WHERE id = ? AND sent_at IS NULL", tx.now, id);
}

/**
 * Submissions the queue consumer refused (jobs/submit `submitEach`: a cycle, a parent no longer queued or blocked),
 * by key and problem code: the items of batch `batchId` (the refused message's) still queued under those keys are
 * rejected for good. Without this they stayed `queued` and their batch never `done`, since no job ever holds such a
 * key (found by a reviewer). Only that batch's: another batch may hold the same key for another request, which its
 * own message may still create (found by a concurrency reviewer: it was rejected with this one).
 */
export function rejectQueuedItems(
  tx: Tx,
  batchId: string,
  refusals: ReadonlyArray<{ key: string; code: string }>,
): void {
  for (const r of refusals) {
    execute(
      tx.sql,
      `UPDATE batch_items INDEXED BY batch_items_queued_by_key SET status = 'rejected', code = ?
       WHERE key = ? AND status = 'queued' AND batch_id = ?`,
      r.code,
      r.key,
      batchId,
    );
  }
}

/**
 * The code item `key` of batch `batchId` was rejected with for good (any refusal but `unavailable`), if it was, for
 * the request whose SHA-256 `hashOf()` gives — asked only when a row under the key is rejected, so a first delivery
 * hashes nothing. jobs/submit `submitEach` refuses such an item again when the queue delivers its message again (at
 * least once: a lost ack, a retry): the product may have changed so that it would pass now (its parent requeued, its
 * dep requeued), and making its job then broke the batch's word — `rejected` is for good (shared/api-batches) — and
 * made a second job for a client that had resubmitted the refused item another way. The hash tells this item from
 * another request of its batch the route refused under the same key (409 `conflict`), which is no refusal of it.
 */
export function rejectedBefore(tx: Tx, batchId: string, key: string, hashOf: () => string): string | undefined {
  const rows = tx.sql
    .exec<{ hash: string | null; code: string | null }>(
      `SELECT hash, code FROM batch_items INDEXED BY batch_items_rejected_by_key
       WHERE key = ? AND status = 'rejected' AND batch_id = ?`,
      key,
      batchId,
    )
    .toArray()
    .filter((r) => r.code !== "unavailable");
  if (rows.length === 0) return undefined;
  const hash = hashOf();
  return rows.find((r) => r.hash === hash)?.code ?? undefined;
}

/**
 * The items of batch `batchId` under `keys` whose dispatch message was dead-lettered (the dead-letter queue took it
 * after its retries, or the consumer could not read it): no delivery will create them now, so each still `queued`
 * is rejected with `unavailable` (resending it is safe: its key makes one job). A key some job already holds is left
 * to jobs/batch-read, which finds that job (created, or a conflict): another message — another batch's, or this one's
 * before a lost ack — may have made it. Without this the items stayed queued and the batch never `done`.
 */
export function rejectUndelivered(tx: Tx, batchId: string, keys: readonly string[]): void {
  const lost = keys.filter((key) => findKey(tx.sql, key) === undefined);
  rejectQueuedItems(
    tx,
    batchId,
    lost.map((key) => ({ key, code: "unavailable" })),
  );
}

/** `rejectUndelivered` for each of several batches' dead-lettered items, in the caller's one unit. */
export function rejectUndeliveredMany(
  tx: Tx,
  batches: ReadonlyArray<{ batchId: string; keys: readonly string[] }>,
): void {
  for (const { batchId, keys } of batches) rejectUndelivered(tx, batchId, keys);
}

/** The retention pass's share: batches older than `before` (ms) or beyond the newest MAX_BATCHES, bounded per pass. */
export function pruneBatches(tx: Tx, before: number): number {
  const nth = tx.sql
    .exec<{ created_at: number }>(
      `SELECT created_at FROM batches ORDER BY created_at DESC LIMIT 1 OFFSET ${MAX_BATCHES}`,
    )
    .toArray()[0];
  const cut = Math.max(before, nth ? nth.created_at + 1 : 0);
  const pruned = execute(
    tx.sql,
    `DELETE FROM batches WHERE id IN (SELECT id FROM batches WHERE created_at < ? ORDER BY created_at LIMIT ${BATCHES_PER_PASS})`,
    cut,
  );
  // Items only of batches already gone: strictly older than the oldest batch left (a backlog may keep some past `cut`).
  const oldest = tx.sql.exec<{ t: number | null }>("SELECT MIN(created_at) AS t FROM batches").one().t;
  execute(
    tx.sql,
    `DELETE FROM batch_items WHERE rowid IN (SELECT rowid FROM batch_items WHERE created_at < ? ORDER BY created_at LIMIT ${ITEMS_PER_PASS})`,
    Math.min(cut, oldest ?? cut),
  );
  return pruned;
}
