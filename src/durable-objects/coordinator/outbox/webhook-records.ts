/**
 * @module durable-objects/coordinator/outbox/webhook-records
 * Webhook records in the outbox (issue 9, parts 6 and 8): every alert change and every job stage change of a
 * product with a webhook becomes a `webhook` outbox record in the SAME unit as the change, so a change and its
 * webhook commit together (outbox/delivery hands them to the webhook queue; worker/queues/webhooks signs and POSTs).
 *
 * Each record has its delivery id from birth: the queue may deliver it more than once (at least once), and every
 * attempt carries the same `deliveryId` — in the body and in `X-Gigafactory-Delivery` — for the receiver to dedupe.
 *
 * Deliveries are not ordered: a refused one is retried after later ones went through (a job's `failed` after its
 * `dead_letter`, both with the same `at`). So each body carries `seq`, its own outbox seq: the coordinator's
 * AUTOINCREMENT counter, which never goes back (not across units, restarts, or delivered rows), so it increases
 * with every change of the product and therefore of each job and each alert. A receiver applies a delivery only if
 * its `seq` is above the last it applied for that job (or alert); a retry of an older change is then ignored.
 *
 * This module also notes a job's last activity (any feed event), which "stuck" is measured from: feed events are
 * the one funnel every report goes through (HTTP patch, WebSocket progress/log/checkpoint, stage changes).
 */
import { fitRecordJson, RECORD_MAX_BYTES } from "../../../core/record-bounds.ts";
import { execute } from "../../sql-statements.ts";
import { getMeta } from "../runtime/meta.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";
import { notePending } from "./pending.ts";

/** A tracked job's tracker identity: `POST …/tracker/ingest` keys its job `tracker:<source>:<id>`. */
export interface TrackerRef {
  source: string;
  id: string;
}

/** What a webhook POST carries (JSON), `deliveryId` included so receivers can dedupe on the body alone. */
export interface WebhookBody {
  deliveryId: string;
  /**
   * The change's order: strictly increasing per product, so per job and per alert (its outbox seq). Apply a
   * delivery only if its `seq` is above the last one applied for the same job (or alert).
   */
  seq: number;
  productId: string;
  /** `job.stage`, `job.submitted`, `alert.opened`, `alert.acknowledged`, `alert.resolved`. */
  type: string;
  /** When the change happened, ms epoch. */
  at: number;
  /** The job a stage change is about (also at top level: outbox retry bookkeeping reads `jobId`). */
  jobId?: string;
  job?: { id: string; tracker?: TrackerRef } & Record<string, unknown>;
  alert?: Record<string, unknown>;
  truncated?: { bytes: number };
}

/** The meta key the webhook's target is kept under (policies/webhook). */
export const WEBHOOK_META_KEY = "webhook";

/** Job events a webhook receiver hears about: a job entering the queue, and each stage change. */
const STAGE_EVENTS = new Set(["job.stage", "job.submitted"]);

export function hasWebhook(sql: SqlStorage): boolean {
  return getMeta(sql, WEBHOOK_META_KEY) !== undefined;
}

/** Records one webhook delivery, if the product has a webhook; bounded like every outbox record. */
export function enqueueWebhook(tx: Tx, type: string, payload: Pick<WebhookBody, "job" | "alert">): void {
  if (!hasWebhook(tx.sql)) return;
  const seq = nextOutboxSeq(tx.sql);
  const body: WebhookBody = {
    deliveryId: newId("dlv", tx.now),
    seq,
    productId: tx.productId,
    type,
    at: tx.now,
    ...(payload.job ? { jobId: payload.job.id } : {}),
    ...payload,
  };
  // Inserted at the seq the body names (a top-level scalar: kept whole should the body be cut to its budget).
  execute(
    tx.sql,
    "INSERT INTO outbox(seq, kind, body) VALUES (?, 'webhook', ?)",
    seq,
    fitRecordJson({ ...body }, RECORD_MAX_BYTES.webhook),
  );
  notePending(tx.sql);
}

/**
 * The seq AUTOINCREMENT would give the next outbox row: above every seq it ever gave (`sqlite_sequence`), and above
 * any row in the table. Read and used with no statement between, in the unit's synchronous transaction.
 */
function nextOutboxSeq(sql: SqlStorage): number {
  return (
    one<{ s: number }>(
      sql,
      `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
                  COALESCE((SELECT MAX(seq) FROM outbox), 0)) + 1 AS s`,
    )?.s ?? 1
  );
}

/**
 * `tracker:<source>:<id>` → the tracker reference (the source never holds a colon: shared/api TrackerIngestBody).
 * The id is any text the ingest accepts, line breaks included (`s`): without it such an id was echoed untracked.
 */
export function trackerOf(idempotencyKey: string | null | undefined): TrackerRef | undefined {
  const m = /^tracker:([^:]+):(.+)$/s.exec(idempotencyKey ?? "");
  return m ? { source: m[1]!, id: m[2]! } : undefined;
}

/** The jobs whose activity the current unit (`tx`) has written, per SQLite handle. */
const touched = new WeakMap<SqlStorage, { tx: Tx; ids: Set<string> }>();

/** Part of a unit rolled back (runtime/units): what it wrote to job_activity may be gone, so write it again. */
export function forgetTouched(sql: SqlStorage): void {
  touched.delete(sql);
}

/**
 * The job reported something at `tx.now`. Lease renewals are deliberately NOT activity: an agent keeps renewing
 * while its engine hangs, and a hung engine is exactly what "stuck" must catch.
 */
export function touchActivity(tx: Tx, jobId: string): void {
  // Once per job per unit: every event of the unit touched it at the same tx.now (a job's move, its progress and
  // its run each made one: 6 writes a job). A rolled-back part of a unit forgets it (`forgetTouched`).
  const memo = touched.get(tx.sql);
  if (memo?.tx === tx && memo.ids.has(jobId)) return;
  if (memo?.tx === tx) memo.ids.add(jobId);
  else touched.set(tx.sql, { tx, ids: new Set([jobId]) });
  execute(
    tx.sql,
    "INSERT INTO job_activity(job_id, at) VALUES (?1, ?2) ON CONFLICT(job_id) DO UPDATE SET at = MAX(at, ?2)",
    jobId,
    tx.now,
  );
}

/**
 * Whether an event of `type` can find its job building — the only stage whose activity is read (policies/health-check
 * `stuck`). A submit finds it queued, a granted lease assigned, and a stage event names the stage it enters: writing
 * activity for those cost a third of the job_activity writes (issue 12) and was never read.
 */
function mayBeBuilding(type: string, data: Record<string, unknown>): boolean {
  if (type === "job.submitted" || type === "lease.granted") return false;
  return type !== "job.stage" || data.to === "building";
}

/** A feed event was recorded for `jobId`: note the activity (if the job may be building); echo a stage change to the webhook. */
export function noteJobActivity(tx: Tx, jobId: string, type: string, data: Record<string, unknown>): void {
  if (mayBeBuilding(type, data)) touchActivity(tx, jobId);
  if (!STAGE_EVENTS.has(type) || !hasWebhook(tx.sql)) return;
  // The key from the job's document, not its column: retention cleared the column after 7 days (jobs/key-prune) while
  // the job lived on (blocked, in review, requeued) — it now keeps a live job's tracker key, but not one cleared
  // before that rule — and its echoes had lost their `tracker` from then on.
  const row = one<{ key: string | null; stage: string }>(
    tx.sql,
    "SELECT json_extract(doc, '$.idempotencyKey') AS key, stage FROM jobs WHERE id = ?",
    jobId,
  );
  const tracker = trackerOf(row?.key);
  const stage = typeof data.to === "string" ? data.to : row?.stage;
  enqueueWebhook(tx, type, { job: { id: jobId, stage, ...data, ...(tracker ? { tracker } : {}) } });
}
