/**
 * @module history/write
 * Applies outbox records to D1 in one batch. Every statement is idempotent
 * (insert-or-ignore keyed by a deterministic id, or an upsert for runs), so a
 * batch that is delivered twice — after a crash, or a queue redelivery — leaves
 * D1 exactly as one delivery would.
 */
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import { assertExhaustive } from "../core/errors.ts";
import { auditLog, jobSnapshots, lessons, runs } from "./schema.ts";

export interface HistoryRecord {
  productId: string;
  seq: number;
  kind: "snapshot" | "run" | "audit" | "lesson";
  body: Record<string, unknown>;
}

/**
 * One history-queue message: many records of one product. Packing them (up to
 * ~100 KB) instead of one message per record cut the local cost of history
 * from ~70 % of a job's coordinator time to a small share (bench/README.md).
 */
export interface HistoryMessage {
  kind: "history";
  productId: string;
  records: HistoryRecord[];
}

const str = (v: unknown): string => String(v ?? "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Statements per D1 batch: a packed queue batch can hold thousands of records. */
const D1_BATCH = 200;

/** A run's D1 key: one row per lease epoch, so a refunded attempt number never merges two runs. */
export function runId(productId: string, jobId: string, leaseEpoch: number): string {
  return `${productId}:${jobId}:e${leaseEpoch}`;
}

export async function writeHistory(d1: D1Database, records: readonly HistoryRecord[]): Promise<void> {
  // Every statement is idempotent, so splitting into several batches loses nothing.
  for (let i = 0; i < records.length; i += D1_BATCH) await writeChunk(d1, records.slice(i, i + D1_BATCH));
}

async function writeChunk(d1: D1Database, records: readonly HistoryRecord[]): Promise<void> {
  if (records.length === 0) return;
  const db = drizzle(d1);
  const statements: BatchItem<"sqlite">[] = records.map((r) => {
    const b = r.body;
    switch (r.kind) {
      case "snapshot":
        return db
          .insert(jobSnapshots)
          .values({
            id: `${r.productId}:${str(b.jobId)}:${str(b.rev)}`,
            productId: r.productId,
            jobId: str(b.jobId),
            rev: num(b.rev) ?? 0,
            stage: str(b.stage),
            title: str(b.title),
            priority: str(b.priority),
            attempt: num(b.attempt) ?? 0,
            leaseEpoch: num(b.leaseEpoch) ?? 0,
            holderFactoryId: typeof b.holderFactoryId === "string" ? b.holderFactoryId : null,
            at: num(b.at) ?? 0,
            doc: JSON.stringify(b.doc ?? {}),
          })
          .onConflictDoNothing();
      case "run": {
        const result = (b.result ?? {}) as Record<string, unknown>;
        const insights = (b.insights ?? {}) as Record<string, unknown>;
        const row = {
          id: runId(r.productId, str(b.jobId), num(b.leaseEpoch) ?? 0),
          productId: r.productId,
          jobId: str(b.jobId),
          attempt: num(b.attempt) ?? 0,
          factoryId: str(b.factoryId),
          leaseEpoch: num(b.leaseEpoch) ?? 0,
          engine: typeof b.engine === "string" ? b.engine : null,
          startedAt: num(b.startedAt) ?? 0,
          endedAt: num(b.endedAt),
          outcome: typeof result.outcome === "string" ? result.outcome : null,
          rc: num(result.rc),
          message: typeof result.message === "string" ? result.message : null,
          tokensIn: num(insights.tokensIn),
          tokensOut: num(insights.tokensOut),
          costUsd: num(insights.costUsd),
        };
        const { id: _id, ...update } = row;
        // An ended run is final: a late copy of its start record must not reopen it.
        return db
          .insert(runs)
          .values(row)
          .onConflictDoUpdate({ target: runs.id, set: update, setWhere: sql`${runs.endedAt} IS NULL` });
      }
      case "audit":
        return db
          .insert(auditLog)
          .values({
            id: `${r.productId}:${r.seq}`,
            productId: r.productId,
            at: num(b.at) ?? 0,
            actor: str(b.actor),
            action: str(b.action),
            target: str(b.target),
            detail: JSON.stringify(b.detail ?? {}),
          })
          .onConflictDoNothing();
      case "lesson": {
        const row = {
          id: str(b.id),
          productId: r.productId,
          source: str(b.source),
          trigger: typeof b.trigger === "string" ? b.trigger : null,
          subject: typeof b.subject === "string" ? b.subject : null,
          text: str(b.text),
          capabilities: JSON.stringify(Array.isArray(b.capabilities) ? b.capabilities : []),
          engine: typeof b.engine === "string" ? b.engine : null,
          serialKey: typeof b.serialKey === "string" ? b.serialKey : null,
          count: num(b.count) ?? 1,
          createdAt: num(b.createdAt) ?? 0,
          updatedAt: num(b.updatedAt) ?? 0,
          createdBy: str(b.createdBy),
          archived: b.archived === true,
        };
        const { id: _id, productId: _p, ...update } = row;
        // Newest wins: a late or repeated delivery of an older version of the lesson changes nothing.
        return db
          .insert(lessons)
          .values(row)
          .onConflictDoUpdate({
            target: lessons.id,
            set: update,
            setWhere: sql`${lessons.updatedAt} <= excluded.updated_at`,
          });
      }
      default:
        return assertExhaustive(r.kind, "history record kind");
    }
  });
  await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
