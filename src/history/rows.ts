/**
 * @module history/rows
 * What each history record becomes in D1: its row, by the schema's field names, and each kind's columns in the
 * order its statement binds them (history/write builds the statements). Pure.
 */
import { assertExhaustive } from "../core/errors.ts";
import type { HistoryRecord } from "./write.ts";

export type Row = Record<string, string | number | boolean | null>;

const str = (v: unknown): string => String(v ?? "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const positive = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : null);

/** A run's D1 key: one row per lease epoch, so a refunded attempt number never merges two runs. */
export function runId(productId: string, jobId: string, leaseEpoch: number): string {
  return `${productId}:${jobId}:e${leaseEpoch}`;
}

export const SNAPSHOT_COLS = [
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
export const RUN_COLS = [
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
  "unpricedTokens",
  "estimatedUsd",
  "retryable",
] as const;
export const AUDIT_COLS = ["id", "productId", "at", "actor", "action", "target", "detail", "seq", "part"] as const;
export const LESSON_COLS = [
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
  "editedBy",
  "seq",
  "part",
] as const;

/** A record's row, by the schema's field names (D1 binds booleans as 0/1). */
export function rowOf(r: HistoryRecord): Row {
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
        // As the coordinator counted them (jobs/runs `runCost`): a whole count, null when none.
        unpricedTokens: Number.isSafeInteger(insights.unpricedTokens) ? (insights.unpricedTokens as number) : null,
        // As the coordinator charged it (core/run-estimate-record): USD on top of costUsd, null when none.
        estimatedUsd: positive(insights.estimatedUsd),
        // The result's word, which core/run-counts reads for budget_exceeded; null when it gave none.
        retryable: typeof result.retryable === "boolean" ? (result.retryable ? 1 : 0) : null,
      };
    }
    case "audit":
      return {
        // Deterministic, so a redelivery inserts nothing twice: the outbox row, and the part of a grouped row.
        id: r.part ? `${r.productId}:${r.seq}.${r.part}` : `${r.productId}:${r.seq}`,
        productId: r.productId,
        at: num(b.at) ?? 0,
        actor: str(b.actor),
        action: str(b.action),
        target: str(b.target),
        detail: JSON.stringify(b.detail ?? {}),
        // The order of entries within a millisecond, as numbers (the id's text sorts seq 10 before 9).
        seq: r.seq,
        part: r.part ?? 0,
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
        // Who reworded this automatic lesson (core/lessons `editedBy`); NULL when the record has none — never
        // reworded, or a record a coordinator wrote before the marker existed.
        editedBy: typeof b.editedBy === "string" ? b.editedBy : null,
        // The order of two writes of one millisecond (their `updatedAt` is the same): history/write compares it.
        seq: r.seq,
        part: r.part ?? 0,
      };
    default:
      return assertExhaustive(r.kind, "history record kind");
  }
}

/**
 * Whether ended run row `row` raises what ended row `held` says was charged (a late charge: policies/late-spend,
 * policies/closed-run-raise): a higher cost, or the same cost (absent = 0) and more tokens (in + out). Ordered by
 * cost, then tokens: a run's records only ever rise in both, so this is their order; and as a total order, applying
 * the highest of a batch's rows leaves what applying them all in turn leaves. history/write's upsert says the same
 * in SQL.
 */
export function raisesEndedRun(held: Row, row: Row): boolean {
  if (row.endedAt === null || row.endedAt === undefined) return false;
  const cost = Number(row.costUsd ?? 0);
  const heldCost = Number(held.costUsd ?? 0);
  if (cost !== heldCost) return cost > heldCost;
  const tokens = (r: Row) => Number(r.tokensIn ?? 0) + Number(r.tokensOut ?? 0);
  return tokens(row) > tokens(held);
}

/**
 * The run rows of one D1 batch that change what D1 ends with, in their order: per run id, the first row that
 * ends the run (`endedAt` set) if there is one — or a later ended row that raises what it was charged
 * (`raisesEndedRun`), the only change an ended run takes — else the last row. Why: a run's upsert replaces an open
 * row, and an ended one only to raise its cost or tokens (`ON CONFLICT … DO UPDATE … WHERE`, history/write), so
 * applying all of a
 * run's rows in order leaves exactly what applying that one row leaves — whatever D1 held before. A job's start
 * and end usually travel in one batch: this halves the run statements a job costs.
 * @param rows run rows (`RUN_COLS`), in record order
 * @returns a subset of `rows`, in their order
 */
export function decisiveRunRows(rows: readonly Row[]): Row[] {
  const pick = new Map<string, Row>();
  for (const row of rows) {
    const id = String(row.id);
    const held = pick.get(id);
    // Ended: later rows are no-ops, but for an ended one raising its charge (a late charge, policies/late-spend).
    if (held && held.endedAt !== null && held.endedAt !== undefined && !raisesEndedRun(held, row)) continue;
    pick.set(id, row);
  }
  const kept = new Set(pick.values());
  return rows.filter((r) => kept.has(r));
}
