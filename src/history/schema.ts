/**
 * @module history/schema
 * D1 tables (drizzle): the cross-product history the dashboard and reports
 * query — job snapshots per stage change, runs, and the audit log. Never on the
 * claim hot path: rows arrive from each coordinator's outbox in batches.
 * `npm run db:generate` turns changes here into a migration in `migrations/`.
 *
 * Rows reach D1 out of event-time order (a retried message lands after later ones; a run row changes when the run
 * ends), so each of these three tables also records WHEN a row reached D1: `ingest_seq`, the number of the D1 batch
 * that inserted the row or last changed it, from the one counter `history_seq` (history/write). A follower of
 * `…/history` pages by it (shared/history-cursor), so a late row or a changed one is seen once more.
 */
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The D1 batch counter: one row (id 1), `value` raised by one at the start of every history/write batch that writes
 * snapshots, runs or audit entries. Never lowered — a row deleted later never hands its number to another.
 */
export const historySeq = sqliteTable("history_seq", {
  id: integer("id").primaryKey(),
  value: integer("value").notNull(),
});

/** `ingest_seq` (migration 0006): the history_seq value of the batch that wrote the row or last changed it; 0 before 0006. */
const ingestSeq = () => integer("ingest_seq").notNull().default(0);

export const jobSnapshots = sqliteTable(
  "job_snapshots",
  {
    /** `${productId}:${jobId}:${rev}` — re-delivery of the same snapshot is a no-op. */
    id: text("id").primaryKey(),
    productId: text("product_id").notNull(),
    jobId: text("job_id").notNull(),
    rev: integer("rev").notNull(),
    stage: text("stage").notNull(),
    title: text("title").notNull(),
    priority: text("priority").notNull(),
    attempt: integer("attempt").notNull(),
    leaseEpoch: integer("lease_epoch").notNull(),
    holderFactoryId: text("holder_factory_id"),
    at: integer("at").notNull(),
    doc: text("doc").notNull(),
    ingestSeq: ingestSeq(),
  },
  // `…/history` browses by the key (at, jobId, rev) and follows by (ingestSeq, at, jobId, rev)
  // (shared/history-cursor): an index each serves its order and the seek.
  (t) => [
    index("snapshots_by_job").on(t.productId, t.jobId, t.rev),
    // One job's page (`jobId`) in the browse order: without it SQLite walked the time index over the product's whole
    // history (every job's snapshots since `since`) to pick out one job's few rows, on every request (migration 0009).
    index("snapshots_by_job_time").on(t.productId, t.jobId, t.at, t.rev),
    index("snapshots_by_time_job_rev").on(t.productId, t.at, t.jobId, t.rev),
    index("snapshots_by_ingest").on(t.productId, t.ingestSeq, t.at, t.jobId, t.rev),
  ],
);

export const runs = sqliteTable(
  "runs",
  {
    /**
     * `${productId}:${jobId}:e${leaseEpoch}` — a run row is upserted at start and at end. Keyed by
     * lease epoch (new at every claim), not attempt (refunded on release/requeue, so it repeats).
     */
    id: text("id").primaryKey(),
    productId: text("product_id").notNull(),
    jobId: text("job_id").notNull(),
    attempt: integer("attempt").notNull(),
    factoryId: text("factory_id").notNull(),
    leaseEpoch: integer("lease_epoch").notNull(),
    engine: text("engine"),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    outcome: text("outcome"),
    rc: integer("rc"),
    message: text("message"),
    tokensIn: integer("tokens_in"),
    tokensOut: integer("tokens_out"),
    costUsd: real("cost_usd"),
    /**
     * Of tokensIn + tokensOut, those no USD came for, as the coordinator counted them (policies/unpriced-spend; the
     * run's `spend.unpricedTokens`); null: none, or a row from before migration 0011.
     */
    unpricedTokens: integer("unpriced_tokens"),
    /**
     * USD charged on top of costUsd for its unpriced tokens at settings `prices` (policies/estimate-spend; the run's
     * `spend.estimatedUsd`), as the coordinator charged it; null: none, or a row from before migration 0013.
     */
    estimatedUsd: real("estimated_usd"),
    /**
     * The result's `retryable` (true 1, false 0): what tells a `budget_exceeded` the product's budget stopped and
     * requeued (true: not counted) from an overrun of the job's own budget (a failure; core/run-counts `countsAs`).
     * Null: the result said nothing (an open run, most outcomes), or a row from before migration 0012.
     */
    retryable: integer("retryable", { mode: "boolean" }),
    /** Raised again when the run's end lands (the row changes in place), so a follower sees its outcome. */
    ingestSeq: ingestSeq(),
  },
  (t) => [
    index("runs_by_job_epoch").on(t.productId, t.jobId, t.leaseEpoch),
    // `…/history` browses by the key (startedAt, id) and follows by (ingestSeq, startedAt, id) (shared/history-cursor).
    index("runs_by_time_id").on(t.productId, t.startedAt, t.id),
    // `jobId`'s browse: a seek to the job's runs, not a walk of every run of the product (migration 0009).
    index("runs_by_job_time_id").on(t.productId, t.jobId, t.startedAt, t.id),
    index("runs_by_ingest").on(t.productId, t.ingestSeq, t.startedAt, t.id),
  ],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    /**
     * `${productId}:${outboxSeq}`, or `…:${outboxSeq}.${part}` for a part of a unit's group — unique per record,
     * so delivery is idempotent. Never an order: as text, seq 10 sorts before 9 (`seq` and `part` are the order).
     */
    id: text("id").primaryKey(),
    productId: text("product_id").notNull(),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target").notNull(),
    detail: text("detail").notNull(),
    /** The coordinator's outbox seq the entry left in: its write order within the product (migration 0005). */
    seq: integer("seq").notNull().default(0),
    /** Its place in that outbox row's group (outbox/history-groups), 0 when it travelled alone. */
    part: integer("part").notNull().default(0),
    ingestSeq: ingestSeq(),
  },
  // `…/history` browses by the key (at, seq, part) (shared/history-cursor): the index serves its order and the seek —
  // of all a product's entries, or (`jobId`) of one target's, which otherwise scanned the product's whole log.
  // A follower reads by (ingestSeq, at, seq, part): only what reached D1 since its last page.
  (t) => [
    index("audit_by_time_seq").on(t.productId, t.at, t.seq, t.part),
    index("audit_by_target_time_seq").on(t.productId, t.target, t.at, t.seq, t.part),
    index("audit_by_ingest").on(t.productId, t.ingestSeq, t.at, t.seq, t.part),
  ],
);

/** Messages that could not be processed: poison queue messages and refused bulk items. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    productId: text("product_id").notNull(),
    source: text("source").notNull(),
    reason: text("reason").notNull(),
    body: text("body").notNull(),
    attempts: integer("attempts").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("dead_letters_by_time").on(t.productId, t.at, t.id)],
);

/** Every product that ever wrote history: the list the cron reaper sweeps. */
export const products = sqliteTable("products", {
  id: text("id").primaryKey(),
  firstSeenAt: integer("first_seen_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
});

/**
 * The lessons journal (issue 9 item 7), the store of record: every lesson of every product, archived ones too.
 * Rows arrive from the coordinator's outbox (`lesson` records) and are upserted by id; a record older than the row —
 * by (`updated_at`, `seq`, `part`): two writes of one millisecond share `updated_at` — never overwrites it, so a late
 * redelivery cannot undo an edit.
 */
export const lessons = sqliteTable(
  "lessons",
  {
    /** The coordinator's lesson id (`les_…`), unique across products (newId). */
    id: text("id").primaryKey(),
    productId: text("product_id").notNull(),
    source: text("source").notNull(),
    trigger: text("trigger"),
    subject: text("subject"),
    text: text("text").notNull(),
    /** JSON array of capability names. */
    capabilities: text("capabilities").notNull(),
    engine: text("engine"),
    serialKey: text("serial_key"),
    count: integer("count").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    createdBy: text("created_by").notNull(),
    archived: integer("archived", { mode: "boolean" }).notNull(),
    /**
     * The operator who last reworded this automatic lesson (core/lessons `KeptLesson.editedBy`; migration 0010), or
     * NULL: never reworded, an operator's own lesson, or a row written before the column (or by a record without it).
     */
    editedBy: text("edited_by"),
    /** The outbox seq (and part) of the record that wrote the row: the write order within `updated_at` (migration 0007). */
    seq: integer("seq").notNull().default(0),
    part: integer("part").notNull().default(0),
  },
  (t) => [index("lessons_by_time").on(t.productId, t.updatedAt, t.id)],
);
