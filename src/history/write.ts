/**
 * @module history/write
 * Applies outbox records to D1 in one batch. Every statement is idempotent
 * (insert-or-ignore keyed by a deterministic id, or an upsert for runs), so a
 * batch that is delivered twice — after a crash, or a queue redelivery — leaves
 * D1 exactly as one delivery would.
 *
 * Each batch that writes snapshots, runs or audit entries first raises the counter `history_seq`, and every row it
 * inserts or changes takes that value as its `ingest_seq` — in the statement that writes it, inside the batch's
 * transaction, so a reader sees all of a batch's rows or none, and batches in counter order (D1 runs one write at a
 * time). A redelivered record that changes nothing takes no new number: its row is not ingested again.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { assertExhaustive } from "../core/errors.ts";
import { AUDIT_COLS, decisiveRunRows, LESSON_COLS, type Row, RUN_COLS, rowOf, SNAPSHOT_COLS } from "./rows.ts";
import { auditLog, historySeq, jobSnapshots, lessons, runs } from "./schema.ts";

export { runId } from "./rows.ts";

export interface HistoryRecord {
  productId: string;
  /** The outbox row it left the coordinator in. */
  seq: number;
  /** Its place in that row when the row held a unit's group of records (outbox/history-groups); absent: alone. */
  part?: number;
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

/** Records per D1 batch (one D1 call each): a packed queue batch can hold thousands of records. */
export const D1_BATCH = 200;
/** D1 binds at most 100 parameters per statement (its documented limit): every multi-row INSERT is cut by it. */
export const D1_MAX_PARAMS = 100;
/**
 * Kinds written as insert-or-ignore keyed by a deterministic id: their rows may go several to one statement, in
 * any order. Runs and lessons are upserts whose order matters (a run's start, then its end): one statement each,
 * and of a run's rows in one batch only the one that decides D1's end state (history/rows `decisiveRunRows`).
 */
const MULTI_ROW: Partial<Record<HistoryRecord["kind"], readonly string[]>> = {
  snapshot: SNAPSHOT_COLS,
  audit: AUDIT_COLS,
};

export async function writeHistory(d1: D1Database, records: readonly HistoryRecord[]): Promise<void> {
  // Every statement is idempotent, so splitting into several batches loses nothing.
  for (let i = 0; i < records.length; i += D1_BATCH) await writeChunk(d1, records.slice(i, i + D1_BATCH));
}

/**
 * One D1 batch: snapshots and audit entries as multi-row inserts (as many rows as fit D1's parameter limit), the
 * other kinds a statement each, in record order (runs: the decisive row of each). Locally, D1 cost ~410 µs of the runtime's thread per job with a
 * statement per record; this saved ~100 of them (issue 12, bench/README) — the rest is per row and per batch.
 */
async function writeChunk(d1: D1Database, records: readonly HistoryRecord[]): Promise<void> {
  if (records.length === 0) return;
  const statements: D1PreparedStatement[] = [];
  const grouped = new Map<HistoryRecord["kind"], Row[]>();
  const runRows: Row[] = [];
  for (const r of records) {
    if (r.kind === "run") {
      runRows.push(rowOf(r));
      continue;
    }
    if (!MULTI_ROW[r.kind]) {
      statements.push(bound(d1, statementFor(r.kind, 1), [rowOf(r)]));
      continue;
    }
    const rows = grouped.get(r.kind);
    if (rows) rows.push(rowOf(r));
    else grouped.set(r.kind, [rowOf(r)]);
  }
  for (const [kind, rows] of grouped) {
    const per = Math.floor(D1_MAX_PARAMS / (MULTI_ROW[kind]?.length ?? D1_MAX_PARAMS));
    for (let i = 0; i < rows.length; i += per) {
      const part = rows.slice(i, i + per);
      statements.push(bound(d1, statementFor(kind, part.length), part));
    }
  }
  // Runs after the rest: no other kind reads or writes their table, and among themselves they keep their order.
  for (const row of decisiveRunRows(runRows)) statements.push(bound(d1, statementFor("run", 1), [row]));
  // First in the batch: the number every row below takes (INGEST_SEQ). Lessons alone are not read by it.
  if (records.some((r) => r.kind !== "lesson")) statements.unshift(d1.prepare(NEXT_INGEST_SEQ));
  await d1.batch(statements);
}

/** Raises the batch counter (creating its one row on first use). */
const NEXT_INGEST_SEQ =
  "INSERT INTO history_seq (id, value) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET value = history_seq.value + 1";
/** The batch's number, as each row's `ingest_seq` (a constant subquery: SQLite evaluates it once per statement). */
const INGEST_SEQ = sql`(SELECT ${historySeq.value} FROM ${historySeq} WHERE ${historySeq.id} = 1)`;
/**
 * Run columns a redelivered record could change: when none differs, the upsert leaves the row — and its
 * `ingest_seq` — alone, so a follower is not handed an unchanged run again.
 */
const RUN_CONTENT = sql.join(
  RUN_COLS.filter((c) => c !== "id").map((c) => sql`${runs[c]} IS NOT excluded.${sql.identifier(runs[c].name)}`),
  sql` OR `,
);

/** The new row's cost above the held row's, or equal and its tokens (in + out) above: history/rows `raisesEndedRun`. */
const ENDED_RUN_RAISED = (() => {
  const x = (c: "costUsd" | "tokensIn" | "tokensOut") => sql`COALESCE(excluded.${sql.identifier(runs[c].name)}, 0)`;
  const held = (c: "costUsd" | "tokensIn" | "tokensOut") => sql`COALESCE(${runs[c]}, 0)`;
  const tokens = (f: typeof x) => sql`(${f("tokensIn")} + ${f("tokensOut")})`;
  return sql`(${x("costUsd")} > ${held("costUsd")} OR (${x("costUsd")} = ${held("costUsd")} AND ${tokens(x)} > ${tokens(held)}))`;
})();

/** `c`'s parameters bound from `rows` (a name `col#i` takes row i's `col`). */
function bound(d1: D1Database, c: Compiled, rows: readonly Row[]): D1PreparedStatement {
  return d1.prepare(c.sql).bind(...c.names.map(([col, i]) => rows[i]?.[col] ?? null));
}

/** A statement: its SQL text with `?` parameters, and the row field (and row index) each parameter takes, in order. */
interface Compiled {
  sql: string;
  names: Array<[column: string, row: number]>;
}

const compiled = new Map<string, Compiled>();

/**
 * `kind`'s statement for `n` rows (n > 1 only for MULTI_ROW kinds), built by drizzle from the schema ONCE with a
 * placeholder per column and row, then bound per call. Building a drizzle query per record (entity checks, SQL
 * assembly) was ~9 % of the local runtime's CPU in the throughput profile (bench/README, issue 12).
 */
function statementFor(kind: HistoryRecord["kind"], n: number): Compiled {
  const hit = compiled.get(`${kind}:${n}`);
  if (hit) return hit;
  // drizzle only renders here: toSQL() never touches the database handle.
  const db = drizzle({} as D1Database);
  const ph = (cols: readonly string[], i = 0) => Object.fromEntries(cols.map((c) => [c, sql.placeholder(`${c}#${i}`)]));
  const many = (cols: readonly string[]) =>
    Array.from({ length: n }, (_, i) => ({ ...ph(cols, i), ingestSeq: INGEST_SEQ }));
  const query = (() => {
    switch (kind) {
      case "snapshot":
        return db
          .insert(jobSnapshots)
          .values(many(SNAPSHOT_COLS) as never)
          .onConflictDoNothing();
      case "audit":
        return db
          .insert(auditLog)
          .values(many(AUDIT_COLS) as never)
          .onConflictDoNothing();
      case "run":
        return db
          .insert(runs)
          .values({ ...ph(RUN_COLS), ingestSeq: INGEST_SEQ } as never)
          .onConflictDoUpdate({
            target: runs.id,
            set: { ...ph(RUN_COLS.filter((c) => c !== "id")), ingestSeq: sql`excluded.ingest_seq` } as never,
            // An open run changes only when the record differs (its end, usually). An ended run is final but for
            // what it was charged, which only rises: a report refused fenced after the close is still charged
            // (late-spend) — a higher cost, or the same and more tokens (history/rows `raisesEndedRun`).
            setWhere: sql`(${runs.endedAt} IS NULL AND (${RUN_CONTENT})) OR (${runs.endedAt} IS NOT NULL AND excluded.${sql.identifier(runs.endedAt.name)} IS NOT NULL AND ${ENDED_RUN_RAISED})`,
          });
      case "lesson":
        return db
          .insert(lessons)
          .values(ph(LESSON_COLS) as never)
          .onConflictDoUpdate({
            target: lessons.id,
            set: ph(LESSON_COLS.filter((c) => c !== "id" && c !== "productId")) as never,
            // A lesson id is unique across products (newId): a record of another product under the same id is
            // never taken as an edit of this one (its productId is not even among the columns `set` writes).
            // Newer by (updatedAt, seq, part): an edit, or an automatic repeat, in the millisecond of the write before
            // it keeps its updatedAt, so the outbox seq decides — a late redelivery of the older one changes nothing.
            setWhere: sql`(${lessons.updatedAt}, ${lessons.seq}, ${lessons.part}) <= (excluded.updated_at, excluded.seq, excluded.part) AND ${lessons.productId} = excluded.product_id`,
          });
      default:
        return assertExhaustive(kind, "history record kind");
    }
  })();
  const { sql: text, params } = query.toSQL();
  const names = params.map((p): [string, number] => {
    const name = String((p as { value?: { name?: string } }).value?.name ?? p);
    const at = name.lastIndexOf("#");
    return [name.slice(0, at), Number(name.slice(at + 1))];
  });
  const out = { sql: text, names };
  compiled.set(`${kind}:${n}`, out);
  return out;
}
