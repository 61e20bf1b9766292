/**
 * @module worker/routes/history
 * Reads of the D1 history (job snapshots, runs, audit log) for one product, paged by keyset (shared/history-cursor).
 * Without a cursor, or with a browse cursor: in time order, over what D1 held when the browse began (`ingestSeq` up
 * to its `w`); its last page hands over a follow cursor. With a follow cursor: in the order rows reached D1, so a row
 * that landed late or changed since (a run's end) comes once more. An empty page keeps the reader's place.
 * History trails the coordinator by about a second (the outbox, then the history queue's batch), or by up to about
 * a minute while the coordinator is loaded (core/history-hold: D1 history gives way to dispatch). D1 failing is a
 * 503 `unavailable` (try again), not a 500. People only:
 * a factory token is refused (`403`) — the audit log and other jobs' history
 * are none of a factory's business (least privilege, worker/auth).
 */
import { and, asc, eq, gt, gte, type SQL, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { Hono } from "hono";
import type { z } from "zod";
import { DomainError } from "../../core/errors.ts";
import { auditLog, jobSnapshots, runs } from "../../history/schema.ts";
import { HistoryQuery } from "../../shared/api-history.ts";
import { encodeHistoryCursor, type HistoryKey } from "../../shared/history-cursor.ts";
import { type AppEnv, requireRole } from "../auth.ts";
import { query } from "../validate.ts";

export const history = new Hono<AppEnv>();

type Val = string | number;

/** How one kind is read: its table, its filters, and its time key as columns and as the cursor names them. */
interface Kind<R> {
  table: SQLiteTable;
  /** The product's rows that pass the query's filters (`since`, `jobId`). */
  where: SQL[];
  /** The product's rows, unfiltered: the browse's snapshot is taken over them. */
  product: SQL;
  ingest: SQLiteColumn;
  /** The time key's columns, in order, and the cursor's name for each. */
  cols: SQLiteColumn[];
  fields: readonly string[];
  /** A row's time key, by the cursor's names. */
  timeKey(r: R): Record<string, Val>;
}

/**
 * A read of D1, which may be the very thing that is failing: then a 503 `unavailable` that says to try again — the
 * history is kept, only unreadable for now — not the 500 "unexpected error" of a bug (the dead-letter routes answer
 * a D1 outage the same way).
 */
async function fromD1<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    console.error(`history: D1 unreadable: ${String(err)}`);
    throw new DomainError("unavailable", "the history (D1) could not be read just now; it is kept — try again shortly");
  }
}

/** `(a, b, …) > (x, y, …)`: SQLite seeks the index led by (product, …these columns) to the first key past it. */
const past = (cols: SQLiteColumn[], vals: Val[]): SQL =>
  sql`(${sql.join(cols, sql`, `)}) > (${sql.join(
    vals.map((v) => sql`${v}`),
    sql`, `,
  )})`;

/**
 * One page of `kind` after `after` (of the query's kind, or none): `limit` rows, whether more followed when it was
 * read, and the cursor the next page starts from — always present, so a reader that has caught up can follow.
 * @returns `{ items, more, nextCursor }`, items as D1 holds them
 */
async function read<R extends { ingestSeq: number }>(
  db: DrizzleD1Database,
  q: z.output<typeof HistoryQuery>,
  kind: Kind<R>,
): Promise<{ items: R[]; more: boolean; nextCursor: string }> {
  const after = q.cursor;
  const valsOf = (key: Record<string, unknown>) => kind.fields.map((f) => key[f] as Val);
  const rows = (where: SQL[], order: SQLiteColumn[]) =>
    fromD1(
      db
        .select()
        .from(kind.table)
        .where(and(...where))
        .orderBy(...order.map((c) => asc(c)))
        .limit(q.limit + 1) as unknown as Promise<R[]>,
    );
  if (after && "s" in after) {
    // Follow: what reached D1 after `s` (after the row `t` among the rows of `s` itself, when the page ended there).
    const seek = after.t ? past([kind.ingest, ...kind.cols], [after.s, ...valsOf(after.t)]) : gt(kind.ingest, after.s);
    const got = await rows([...kind.where, seek], [kind.ingest, ...kind.cols]);
    const items = got.slice(0, q.limit);
    const last = items.at(-1);
    const next = last ? { k: q.kind, s: last.ingestSeq, t: kind.timeKey(last) } : after;
    return { items, more: got.length > q.limit, nextCursor: encodeHistoryCursor(next as HistoryKey) };
  }
  // Browse: rows D1 held at the first page (a cursor issued before migration 0006 has no `w`: what it holds now).
  // Every row with a number up to `w` is written: a batch's rows and its number commit together, in number order.
  const w = after?.w ?? (await maxIngest(db, kind));
  // `+` keeps SQLite from seeking the ingest index by this bound: the time index serves the order and the seek.
  const where = [...kind.where, sql`+${kind.ingest} <= ${w}`];
  if (after) where.push(past(kind.cols, valsOf(after)));
  const got = await rows(where, kind.cols);
  const items = got.slice(0, q.limit);
  const last = items.at(-1);
  const more = got.length > q.limit && last !== undefined;
  // The browse's end hands over to a follower from `w`: what lands or changes after the snapshot comes next.
  const next = more ? { k: q.kind, ...kind.timeKey(last), w } : { k: q.kind, s: w };
  return { items, more, nextCursor: encodeHistoryCursor(next as HistoryKey) };
}

/** The highest `ingestSeq` of the product's rows of `kind` (0 when none): every row up to it is in D1. */
async function maxIngest<R>(db: DrizzleD1Database, kind: Kind<R>): Promise<number> {
  const [row] = await fromD1(
    db
      .select({ w: sql<number>`coalesce(max(${kind.ingest}), 0)` })
      .from(kind.table)
      .where(kind.product),
  );
  return row?.w ?? 0;
}

history.get("/history", async (c) => {
  requireRole(c, "viewer"); // viewer, operator, admin — not a factory

  const q = query(c, HistoryQuery);
  const db = drizzle(c.env.DB);
  const p = c.get("productId");
  const since = q.since ?? 0;
  switch (q.kind) {
    case "snapshots": {
      const t = jobSnapshots;
      const out = await read(db, q, {
        table: t,
        product: eq(t.productId, p),
        where: [eq(t.productId, p), gte(t.at, since), ...(q.jobId ? [eq(t.jobId, q.jobId)] : [])],
        ingest: t.ingestSeq,
        cols: [t.at, t.jobId, t.rev],
        fields: ["at", "job", "rev"],
        timeKey: (r: typeof t.$inferSelect) => ({ at: r.at, job: r.jobId, rev: r.rev }),
      });
      return c.json({
        kind: q.kind,
        ...out,
        items: out.items.map((r) => ({ ...r, doc: JSON.parse(r.doc) as unknown })),
      });
    }
    case "runs": {
      const t = runs;
      const out = await read(db, q, {
        table: t,
        product: eq(t.productId, p),
        where: [eq(t.productId, p), gte(t.startedAt, since), ...(q.jobId ? [eq(t.jobId, q.jobId)] : [])],
        ingest: t.ingestSeq,
        cols: [t.startedAt, t.id],
        fields: ["at", "id"],
        timeKey: (r: typeof t.$inferSelect) => ({ at: r.startedAt, id: r.id }),
      });
      return c.json({ kind: q.kind, ...out });
    }
    case "audit": {
      const t = auditLog;
      const out = await read(db, q, {
        table: t,
        product: eq(t.productId, p),
        where: [eq(t.productId, p), gte(t.at, since), ...(q.jobId ? [eq(t.target, q.jobId)] : [])],
        ingest: t.ingestSeq,
        cols: [t.at, t.seq, t.part],
        fields: ["at", "seq", "part"],
        timeKey: (r: typeof t.$inferSelect) => ({ at: r.at, seq: r.seq, part: r.part }),
      });
      return c.json({
        kind: q.kind,
        ...out,
        items: out.items.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })),
      });
    }
  }
});
