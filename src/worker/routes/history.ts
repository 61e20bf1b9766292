/**
 * @module worker/routes/history
 * Reads of the D1 history (job snapshots, runs, audit log) for one product.
 * History trails the coordinator by about a second (the outbox, then the history queue's batch), or by up to about
 * a minute while the coordinator is loaded (core/history-hold: D1 history gives way to dispatch). People only:
 * a factory token is refused (`403`) — the audit log and other jobs' history
 * are none of a factory's business (least privilege, worker/auth).
 */
import { and, asc, eq, gte, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { auditLog, jobSnapshots, runs } from "../../history/schema.ts";
import { HistoryQuery } from "../../shared/api-history.ts";
import { type AppEnv, requireRole } from "../auth.ts";
import { query } from "../validate.ts";

export const history = new Hono<AppEnv>();

history.get("/history", async (c) => {
  requireRole(c, "viewer"); // viewer, operator, admin — not a factory

  const q = query(c, HistoryQuery);
  const db = drizzle(c.env.DB);
  const p = c.get("productId");
  const since = q.since ?? 0;
  switch (q.kind) {
    case "snapshots": {
      const where: SQL[] = [eq(jobSnapshots.productId, p), gte(jobSnapshots.at, since)];
      if (q.jobId) where.push(eq(jobSnapshots.jobId, q.jobId));
      const rows = await db
        .select()
        .from(jobSnapshots)
        .where(and(...where))
        .orderBy(asc(jobSnapshots.at), asc(jobSnapshots.rev))
        .limit(q.limit);
      return c.json({ kind: q.kind, items: rows.map((r) => ({ ...r, doc: JSON.parse(r.doc) as unknown })) });
    }
    case "runs": {
      const where: SQL[] = [eq(runs.productId, p), gte(runs.startedAt, since)];
      if (q.jobId) where.push(eq(runs.jobId, q.jobId));
      const rows = await db
        .select()
        .from(runs)
        .where(and(...where))
        .orderBy(asc(runs.startedAt), asc(runs.leaseEpoch))
        .limit(q.limit);
      return c.json({ kind: q.kind, items: rows });
    }
    case "audit": {
      const where: SQL[] = [eq(auditLog.productId, p), gte(auditLog.at, since)];
      if (q.jobId) where.push(eq(auditLog.target, q.jobId));
      const rows = await db
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(asc(auditLog.at), asc(auditLog.id))
        .limit(q.limit);
      return c.json({ kind: q.kind, items: rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })) });
    }
  }
});
