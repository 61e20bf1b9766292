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
 * Oldest first, in the kind's key order (shared/history-cursor), at most `limit` items; `jobId` narrows to one job.
 * `cursor` (a `nextCursor` of an earlier page of the same kind) continues strictly after that page's last row;
 * `since` (ms epoch, inclusive) is a lower bound on the time, with or without a cursor.
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
});

/** One run, upserted at its start and at its end, in `startedAt` order. */
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
});

/**
 * Where the next page starts: pass it back as `cursor`. Present when the page has items (the key of its last one)
 * or was read with a cursor (that one again, for an empty page), so a client that follows the history resumes
 * from it later without a duplicate; `more` says whether rows past this page existed when it was read.
 */
const paging = {
  nextCursor: z.string().optional().describe("opaque; pass back as `cursor` for the rows after this page"),
  more: z.boolean().describe("true when rows past this page existed at the time of the read"),
};

/** `GET …/history`: the kind asked for, its items, and where the next page starts. */
export const HistoryPageSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("snapshots"), items: z.array(SnapshotRowSchema), ...paging }),
  z.object({ kind: z.literal("runs"), items: z.array(RunRowSchema), ...paging }),
  z.object({ kind: z.literal("audit"), items: z.array(AuditRowSchema), ...paging }),
]);
