/**
 * @module shared/api-history
 * `GET …/history`: its query (which kind of D1 history, of one job or all, since when or after which cursor, how
 * many) and its answer, one
 * schema per kind — job snapshots, runs, audit entries — each item a row of history/schema as D1 holds it (absent
 * values are null, not missing), with the JSON columns parsed. Shared by the Worker's route and the OpenAPI
 * document; each row schema is checked against its drizzle row type (worker/openapi-answer-types).
 */
import { z } from "zod";
import { EntityId, queryInt } from "./api.ts";
import { HISTORY_KINDS, HistoryCursor } from "./history-cursor.ts";

/**
 * At most `limit` items; `jobId` narrows to one job; `since` (ms epoch, inclusive) is a lower bound on the time, with
 * or without a cursor. Without `cursor`, a browse: oldest first in the kind's time key order (shared/history-cursor)
 * over what D1 holds now. `cursor` (a `nextCursor` of an earlier page of the same kind) goes on from that page: a
 * browse's next page in time order, or — after a browse's last page — a follow, in the order rows reached D1.
 */
export const HistoryQuery = z
  .object({
    kind: z.enum(HISTORY_KINDS).default("snapshots"),
    jobId: EntityId.optional(),
    since: queryInt(z.number().min(0)).optional(),
    cursor: HistoryCursor.optional(),
    limit: queryInt(z.number().min(1).max(500)).default(100),
  })
  .strict()
  .refine((q) => q.cursor === undefined || q.cursor.k === q.kind, {
    path: ["cursor"],
    message: "must be a nextCursor from an earlier page of this kind",
  });

const ms = z.number().int().describe("ms epoch");
const id = z.string().describe("the row's key in D1");
const ingestSeq = z
  .number()
  .int()
  .describe(
    "the D1 batch that wrote this row or last changed it (0: before migration 0006); a follow cursor pages by it, so a " +
      "row seen again with a higher ingestSeq is the same row as it is now",
  );

/** A job as it was at one revision (a snapshot per stage change), in `at` order. */
export const SnapshotRowSchema = z.object({
  id,
  productId: z.string(),
  jobId: z.string(),
  rev: z.number().int(),
  stage: z.string(),
  title: z.string(),
  priority: z.string(),
  attempt: z.number().int(),
  leaseEpoch: z.number().int(),
  holderFactoryId: z.string().nullable(),
  at: ms,
  doc: z
    .record(z.string(), z.unknown())
    .describe("the job document at this revision without bodyMd (cut to its record's byte budget when larger)"),
  ingestSeq,
});

/** One run, upserted at its start and at its end (a follower sees it again then), in `startedAt` order. */
export const RunRowSchema = z.object({
  id,
  productId: z.string(),
  jobId: z.string(),
  attempt: z.number().int(),
  factoryId: z.string(),
  leaseEpoch: z.number().int(),
  engine: z.string().nullable(),
  startedAt: ms,
  endedAt: ms.nullable(),
  outcome: z.string().nullable(),
  rc: z.number().int().nullable(),
  message: z.string().nullable(),
  tokensIn: z.number().nullable(),
  tokensOut: z.number().nullable(),
  costUsd: z.number().nullable(),
  unpricedTokens: z
    .number()
    .int()
    .nullable()
    .describe("of tokensIn + tokensOut, those no USD came for (the run's spend.unpricedTokens); null: none"),
  estimatedUsd: z
    .number()
    .nullable()
    .describe(
      "USD charged on top of costUsd for its unpriced tokens at settings prices, until its engine reports USD (the " +
        "run's spend.estimatedUsd; its charge is costUsd + estimatedUsd); null: none, or a row from before it was kept",
    ),
  retryable: z
    .boolean()
    .nullable()
    .describe(
      "the result's retryable: a budget_exceeded run with true was stopped and requeued by the product's budget (not " +
        "counted), with false overran its job's own budget (a failure); null: unsaid, or a row from before it was kept",
    ),
  ingestSeq,
});

/** One audit entry (who did what to which target), in (`at`, `seq`, `part`) order; `jobId` matches the target. */
export const AuditRowSchema = z.object({
  id,
  productId: z.string(),
  at: ms,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  detail: z.record(z.string(), z.unknown()),
  seq: z.number().int().describe("the coordinator's outbox seq it left in: the write order within a millisecond"),
  part: z.number().int().describe("its place in that outbox row's group of records; 0 when it travelled alone"),
  ingestSeq,
});

/**
 * Where the next page starts: pass it back as `cursor`. Always present: a browse's next page while `more`, else a
 * follow cursor (a follow page's last row, or the cursor it was read with when empty), so a client that follows the
 * history resumes from it later and sees each row, and each later change of one, exactly once; `more` says whether
 * rows past this page (in its order) existed when it was read.
 */
const paging = {
  nextCursor: z
    .string()
    .optional()
    .describe(
      "opaque; pass back as `cursor`. While `more`: the browse's next page, in time order. Otherwise a follow cursor: " +
        "the rows that reach D1 (or change, as a run when it ends) after this read, in the order they reached it",
    ),
  more: z.boolean().describe("true when rows past this page, in its order, existed at the time of the read"),
};

/** `GET …/history`: the kind asked for, its items, and where the next page starts. */
export const HistoryPageSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("snapshots"), items: z.array(SnapshotRowSchema), ...paging }),
  z.object({ kind: z.literal("runs"), items: z.array(RunRowSchema), ...paging }),
  z.object({ kind: z.literal("audit"), items: z.array(AuditRowSchema), ...paging }),
]);
