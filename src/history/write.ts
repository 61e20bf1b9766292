/**
 * @module history/write
 * Applies outbox records to D1 in one batch. Every statement is idempotent
 * (insert-or-ignore keyed by a deterministic id, or an upsert for runs), so a
 * batch that is delivered twice — after a crash, or a queue redelivery — leaves
 * D1 exactly as one delivery would.
 */
import { sql } from "drizzle-orm";
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
  await d1.batch(
    records.map((r) => {
      const { sql: text, names } = statementFor(r.kind);
      const row = rowOf(r);
      return d1.prepare(text).bind(...names.map((n) => row[n] ?? null));
    }),
  );
}

type Row = Record<string, string | number | boolean | null>;

/** A kind's statement: its SQL text with `?` parameters, and the row field each parameter takes, in order. */
interface Compiled {
  sql: string;
  names: string[];
}

const compiled = new Map<HistoryRecord["kind"], Compiled>();

/**
 * Each kind's statement, built by drizzle from the schema ONCE with a placeholder per column, then bound per
 * record. Building a drizzle query per record (entity checks, SQL assembly) was ~9 % of the local runtime's CPU
 * in the throughput profile (bench/README, issue 12); the SQL text is the same every time.
 */
function statementFor(kind: HistoryRecord["kind"]): Compiled {
  const hit = compiled.get(kind);
  if (hit) return hit;
  // drizzle only renders here: toSQL() never touches the database handle.
  const db = drizzle({} as D1Database);
  const ph = (cols: readonly string[]) => Object.fromEntries(cols.map((c) => [c, sql.placeholder(c)]));
  const query = (() => {
    switch (kind) {
      case "snapshot":
        return db
          .insert(jobSnapshots)
          .values(ph(SNAPSHOT_COLS) as never)
          .onConflictDoNothing();
      case "audit":
        return db
          .insert(auditLog)
          .values(ph(AUDIT_COLS) as never)
          .onConflictDoNothing();
      case "run":
        return db
          .insert(runs)
          .values(ph(RUN_COLS) as never)
          .onConflictDoUpdate({
            target: runs.id,
            set: ph(RUN_COLS.filter((c) => c !== "id")) as never,
            setWhere: sql`${runs.endedAt} IS NULL`,
          });
      case "lesson":
        return db
          .insert(lessons)
          .values(ph(LESSON_COLS) as never)
          .onConflictDoUpdate({
            target: lessons.id,
            set: ph(LESSON_COLS.filter((c) => c !== "id" && c !== "productId")) as never,
            setWhere: sql`${lessons.updatedAt} <= excluded.updated_at`,
          });
      default:
        return assertExhaustive(kind, "history record kind");
    }
  })();
  const { sql: text, params } = query.toSQL();
  const names = params.map((p) => (p as { value?: { name?: string } }).value?.name ?? String(p));
  const out = { sql: text, names };
  compiled.set(kind, out);
  return out;
}

const SNAPSHOT_COLS = [
  "id",
  "productId",
  "jobId",
  "rev",
  "stage",
  "title",
  "priority",
  "attempt",
  "leaseEpoch",
  "holderFactoryId",
  "at",
  "doc",
] as const;
const RUN_COLS = [
  "id",
  "productId",
  "jobId",
  "attempt",
  "factoryId",
  "leaseEpoch",
  "engine",
  "startedAt",
  "endedAt",
  "outcome",
  "rc",
  "message",
  "tokensIn",
  "tokensOut",
  "costUsd",
] as const;
const AUDIT_COLS = ["id", "productId", "at", "actor", "action", "target", "detail"] as const;
const LESSON_COLS = [
  "id",
  "productId",
  "source",
  "trigger",
  "subject",
  "text",
  "capabilities",
  "engine",
  "serialKey",
  "count",
  "createdAt",
  "updatedAt",
  "createdBy",
  "archived",
] as const;

/** A record's row, by the schema's field names (D1 binds booleans as 0/1). */
function rowOf(r: HistoryRecord): Row {
  const b = r.body;
  switch (r.kind) {
    case "snapshot":
      return {
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
      };
    case "run": {
      const result = (b.result ?? {}) as Record<string, unknown>;
      const insights = (b.insights ?? {}) as Record<string, unknown>;
      return {
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
    }
    case "audit":
      return {
        id: `${r.productId}:${r.seq}`,
        productId: r.productId,
        at: num(b.at) ?? 0,
        actor: str(b.actor),
        action: str(b.action),
        target: str(b.target),
        detail: JSON.stringify(b.detail ?? {}),
      };
    case "lesson":
      return {
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
        archived: b.archived === true ? 1 : 0,
      };
    default:
      return assertExhaustive(r.kind, "history record kind");
  }
}
