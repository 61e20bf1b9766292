/**
 * @module durable-objects/coordinator/outbox/records
 * Transactional outbox: history records (job snapshots, runs, audit entries)
 * and job feed events
 * are written into the coordinator's SQLite in the same atomic unit as the
 * state change they describe, and shipped to D1 later in batches. The claim
 * hot path therefore never waits on D1, and a crash between the change and
 * the shipment loses nothing — the rows are still in the outbox.
 *
 * Every record is bounded in bytes here, at creation (core/record-bounds), so no
 * record can outgrow the message that carries it. Records are acknowledged one
 * by one (by seq), not "up to": a record that keeps failing is retried on its
 * own schedule (outbox/retries) while the ones behind it move on.
 */
import { fitsUtf8 } from "../../../core/bytes.ts";
import { holdsKind } from "../../../core/history-hold.ts";
import type { Lesson } from "../../../core/lessons.ts";
import type { Job } from "../../../core/model.ts";
import { fitRecordJson, RECORD_MAX_BYTES, splitLines } from "../../../core/record-bounds.ts";
import type { FeedEventType } from "../../../shared/protocol.ts";
import type { Run } from "../../../shared/responses.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";
import { feedWanted, markUrgent } from "./feed-wanted.ts";
import { gather } from "./history-groups.ts";
import { forgetPending, notePending } from "./pending.ts";
import { docWithoutBody, takeSavedDoc, withDoc } from "./snapshot-text.ts";
import { noteJobActivity, type WebhookBody } from "./webhook-records.ts";

/**
 * A body as stored: what its writer below put in, unless it was over its kind's byte budget — then it is
 * marked `truncated` and cut (core/record-bounds `fitRecord`): top-level scalars survive (ids, times, stage;
 * strings possibly shortened), nested values (`data`, `doc`, `detail`, `result`) may be cut down or replaced
 * by a `{ truncated: true }` marker, so a reader of nested values stays defensive.
 */
type Stored<T> = T & { truncated?: { bytes: number } };

/** A job feed event (JobFeed `append`): its outbox seq becomes the feed's dedup key. */
export type EventBody = Stored<{ jobId: string; type: FeedEventType; at: number; data: Record<string, unknown> }>;

/** A job's state at one revision, for D1 history (job_snapshots). The body itself is left out of `doc`. */
export type SnapshotBody = Stored<{
  jobId: string;
  rev: number;
  stage: Job["stage"];
  at: number;
  title: string;
  priority: Job["priority"];
  attempt: number;
  leaseEpoch: number;
  holderFactoryId: string | null;
  doc: Omit<Job, "bodyMd"> & { bodyMd?: undefined };
}>;

/** A run opened or closed (jobs/runs), for D1 history (runs). */
export type RunBody = Stored<{ [K in keyof Run]: Run[K] }>;

/** An audit entry, for D1 history (audit_log). */
export type AuditBody = Stored<{
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}>;

/** A lesson as written (created, repeated, edited or archived), for D1 `lessons` — upserted by id, newest wins. */
export type LessonBody = Stored<{ [K in keyof Lesson]: Lesson[K] }>;

/** One outbox entry: `event` records go to the job's feed (JobFeed DO); the others to D1 history. */
export type OutboxEntry = { kind: "event"; body: EventBody } | HistoryEntry | { kind: "webhook"; body: WebhookBody };

/** A record for D1 history. */
export type HistoryEntry =
  | { kind: "snapshot"; body: SnapshotBody }
  | { kind: "run"; body: RunBody }
  | { kind: "audit"; body: AuditBody }
  | { kind: "lesson"; body: LessonBody };

/** The history records of one unit, in write order, stored as one row (outbox/history-groups). */
export type HistoryGroup = { kind: "history"; body: HistoryEntry[] };

/** A row's kind: an entry's, or `history` for a unit's group of history entries. */
export type OutboxKind = OutboxEntry["kind"] | "history";

/** A row as read back for delivery. */
export type OutboxRecord = (OutboxEntry | HistoryGroup) & {
  seq: number;
  /** Failed delivery tries so far that counted against it (0 for a record never tried or never blamed). */
  attempts: number;
  /** When its delivery last failed (ms), blamed or not (outbox/retries); undefined when it never did. */
  failedAt?: number;
};

export type EventRecord = Extract<OutboxRecord, { kind: "event" }>;
/** A row bound for D1 history: one record, or a unit's group of them. */
export type HistoryOutboxRecord = Exclude<OutboxRecord, { kind: "event" | "webhook" }>;
/** A record bound for the product's webhook (through the webhook queue). */
export type WebhookRecord = Extract<OutboxRecord, { kind: "webhook" }>;

/** Records one outbox entry, cut down to its kind's byte budget (RECORD_MAX_BYTES) if it is larger. */
export function enqueue(tx: Tx, entry: OutboxEntry): void {
  const jobId = entry.kind === "event" ? entry.body.jobId : null;
  write(tx, entry.kind, jobId, fitRecordJson({ ...entry.body }, RECORD_MAX_BYTES[entry.kind]));
}

/** Writes one record's JSON text (already within its kind's budget); `jobId` an event's job, else null. */
function write(tx: Tx, kind: OutboxEntry["kind"], jobId: string | null, text: string): void {
  // An event's job is a column too: the delivery round groups and orders a feed's events without parsing any
  // body. `at` is when it was written: for an event, for the feed hold (core/feed-hold), or 0 when its feed is
  // read (due at once); for a history record, for the history hold (core/history-hold).
  // Never held: a webhook (its receiver waits: 0, as outbox/webhook-records writes it), a lesson (read back from
  // D1 by the API: core/history-hold `holdsKind`), an event of a feed being read.
  const wanted = jobId !== null && feedWanted(tx.sql, jobId, tx.now);
  const at = kind === "webhook" || !holdsKind(kind) || wanted ? 0 : tx.now;
  if (jobId !== null && at === 0) markUrgent(tx.sql); // its watchers wait: shipped without the coalescing gap
  // A history record joins its unit's group, written as one row at the commit (outbox/history-groups).
  if (kind !== "event" && kind !== "webhook" && gather(tx.sql, kind, text, at)) return;
  execute(tx.sql, "INSERT INTO outbox(kind, body, job_id, at) VALUES (?, ?, ?, ?)", kind, text, jobId, at);
  notePending(tx.sql);
}

/**
 * A job's snapshot at its current rev. Its `doc` is cut from the text `saveJob` just wrote for this object when
 * that can be shown exact (outbox/snapshot-text), byte for byte the text serializing it again would give.
 */
export function enqueueSnapshot(tx: Tx, job: Job): void {
  const head = {
    jobId: job.id,
    rev: job.rev,
    stage: job.stage,
    at: tx.now,
    title: job.title,
    priority: job.priority,
    attempt: job.attempt,
    leaseEpoch: job.leaseEpoch,
    holderFactoryId: job.holderFactoryId ?? null,
  };
  // The body is immutable and kept by the coordinator (up to 256 KiB): leaving
  // it out keeps a snapshot within its byte budget without cutting anything else.
  const saved = takeSavedDoc(job);
  const doc = saved === undefined ? undefined : docWithoutBody(job, saved);
  const text = doc === undefined ? undefined : withDoc(head, doc);
  if (text !== undefined && fitsUtf8(text, RECORD_MAX_BYTES.snapshot)) write(tx, "snapshot", null, text);
  else enqueue(tx, { kind: "snapshot", body: { ...head, doc: { ...job, bodyMd: undefined } } });
}

export function enqueueRun(tx: Tx, run: Run): void {
  enqueue(tx, { kind: "run", body: { ...run } });
}

/**
 * A feed event for one job; its outbox seq becomes the feed's dedup key. A log
 * batch over the event budget becomes several consecutive events (splitLines).
 */
export function enqueueEvent(tx: Tx, jobId: string, type: FeedEventType, data: Record<string, unknown> = {}): void {
  const event: EventBody = { jobId, type, at: tx.now, data };
  // An event is the job's activity if it may be building (stuck is measured from it); a stage change is echoed to the webhook.
  noteJobActivity(tx, jobId, type, data);
  // Each part keeps the event's fields, with a run of its log lines (core/record-bounds `splitLines`).
  for (const part of splitLines(event, RECORD_MAX_BYTES.event)) enqueue(tx, { kind: "event", body: part });
}

export function enqueueAudit(
  tx: Tx,
  actor: string,
  action: string,
  target: string,
  detail: Record<string, unknown> = {},
): void {
  enqueue(tx, { kind: "audit", body: { at: tx.now, actor, action, target, detail } });
}

/**
 * Which of `seqs` are still in the outbox. A record can leave it while a round that carried it was in flight: a
 * reader's flush of the same feed (outbox/shipper `flushFeed`) delivered and acknowledged it.
 */
export function stillQueued(sql: SqlStorage, seqs: readonly number[]): Set<number> {
  const found = new Set<number>();
  for (let i = 0; i < seqs.length; i += 90) {
    const part = seqs.slice(i, i + 90);
    const marks = part.map(() => "?").join(",");
    const rows = sql.exec<{ seq: number }>(`SELECT seq FROM outbox WHERE seq IN (${marks})`, ...part).toArray();
    for (const r of rows) found.add(r.seq);
  }
  return found;
}

/** Drop delivered records (and their retry state). */
export function ackSeqs(sql: SqlStorage, seqs: readonly number[]): void {
  // Chunks stay under SQLite's bound-parameter limit.
  forgetPending(sql);
  for (let i = 0; i < seqs.length; i += 90) {
    const part = seqs.slice(i, i + 90);
    const marks = part.map(() => "?").join(",");
    execute(sql, `DELETE FROM outbox WHERE seq IN (${marks})`, ...part);
    execute(sql, `DELETE FROM outbox_retries WHERE seq IN (${marks})`, ...part);
  }
}
