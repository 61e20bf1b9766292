/**
 * @module worker/routes/history
 * Reads of the D1 history (job snapshots, runs, audit log) for one product, paged by keyset (shared/history-cursor):
 * each kind in the order of its key, a page's `nextCursor` the key of its last row, the next page strictly after it.
 * History trails the coordinator by about a second (the outbox, then the history queue's batch), or by up to about
 * a minute while the coordinator is loaded (core/history-hold: D1 history gives way to dispatch). People only:
 * a factory token is refused (`403`) — the audit log and other jobs' history
 * are none of a factory's business (least privilege, worker/auth).
 */
import { and, asc, eq, gte, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { auditLog, jobSnapshots, runs } from "../../history/schema.ts";
import { HistoryQuery } from "../../shared/api-history.ts";
import { encodeHistoryCursor, type HistoryKey } from "../../shared/history-cursor.ts";
import { type AppEnv, requireRole } from "../auth.ts";
import { query } from "../validate.ts";

export const history = new Hono<AppEnv>();

/**
 * A page of `limit` rows out of `rows` (read with one more, to learn whether there are more), with where the next
 * one starts: the last row's key, else the cursor it was read after (an empty page keeps the reader's place).
 */
function page<R>(rows: R[], limit: number, keyOf: (r: R) => HistoryKey, after: HistoryKey | undefined) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const next = last ? keyOf(last) : after;
  return { items, more: rows.length > limit, ...(next ? { nextCursor: encodeHistoryCursor(next) } : {}) };
}

history.get("/history", async (c) => {
  requireRole(c, "viewer"); // viewer, operator, admin — not a factory

  const q = query(c, HistoryQuery);
  const db = drizzle(c.env.DB);
  const p = c.get("productId");
  const since = q.since ?? 0;
  const after = q.cursor;
  // Row-value comparisons: SQLite seeks the kind's (product, time, tie-break) index to the first key past the cursor.
  switch (q.kind) {
    case "snapshots": {
      const t = jobSnapshots;
      const where: SQL[] = [eq(t.productId, p), gte(t.at, since)];
      if (q.jobId) where.push(eq(t.jobId, q.jobId));
      if (after?.k === "snapshots")
        where.push(sql`(${t.at}, ${t.jobId}, ${t.rev}) > (${after.at}, ${after.job}, ${after.rev})`);
      const rows = await db
        .select()
        .from(t)
        .where(and(...where))
        .orderBy(asc(t.at), asc(t.jobId), asc(t.rev))
        .limit(q.limit + 1);
      const out = page(rows, q.limit, (r) => ({ k: "snapshots", at: r.at, job: r.jobId, rev: r.rev }), after);
      return c.json({
        kind: q.kind,
        ...out,
        items: out.items.map((r) => ({ ...r, doc: JSON.parse(r.doc) as unknown })),
      });
    }
    case "runs": {
      const t = runs;
      const where: SQL[] = [eq(t.productId, p), gte(t.startedAt, since)];
      if (q.jobId) where.push(eq(t.jobId, q.jobId));
      if (after?.k === "runs") where.push(sql`(${t.startedAt}, ${t.id}) > (${after.at}, ${after.id})`);
      const rows = await db
        .select()
        .from(t)
        .where(and(...where))
        .orderBy(asc(t.startedAt), asc(t.id))
        .limit(q.limit + 1);
      return c.json({ kind: q.kind, ...page(rows, q.limit, (r) => ({ k: "runs", at: r.startedAt, id: r.id }), after) });
    }
    case "audit": {
      const t = auditLog;
      const where: SQL[] = [eq(t.productId, p), gte(t.at, since)];
      if (q.jobId) where.push(eq(t.target, q.jobId));
      if (after?.k === "audit")
        where.push(sql`(${t.at}, ${t.seq}, ${t.part}) > (${after.at}, ${after.seq}, ${after.part})`);
      const rows = await db
        .select()
        .from(t)
        .where(and(...where))
        .orderBy(asc(t.at), asc(t.seq), asc(t.part))
        .limit(q.limit + 1);
      const out = page(rows, q.limit, (r) => ({ k: "audit", at: r.at, seq: r.seq, part: r.part }), after);
      return c.json({
        kind: q.kind,
        ...out,
        items: out.items.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })),
      });
    }
  }
});
