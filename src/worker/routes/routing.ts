/**
 * @module worker/routes/routing
 * Learned routing (issue 11 parts 1–3). Viewer and above: `GET …/routing/track-records` (the stored records; or
 * one factory's, `factoryId`, or each factory's few with the most runs, `perFactory`: shared/api-track-records),
 * `GET …/routing/recommendations` (findings with evidence, core/recommendations), `GET …/routing/rules`.
 * Operator, audited: `POST …/routing/rules` (prefer/avoid; `routing.rule.add`), `DELETE …/routing/rules/{id}`
 * (`routing.rule.remove`; unknown → 404), `POST …/routing/rebuild` (`routing.rebuild`): the Worker reads the ended
 * runs of the product from D1, oldest first by start, and hands them to the coordinator in chunks of REBUILD_CHUNK;
 * a rebuild started meanwhile stops this one (409 conflict: the newer one rebuilds the records).
 */
import { and, asc, eq, gt, isNotNull, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import type { RunResult } from "../../core/model.ts";
import type { HistoryRun } from "../../durable-objects/coordinator/policies/track-rebuild.ts";
import { runs } from "../../history/schema.ts";
import { RunResultSchema } from "../../shared/api-job-schemas.ts";
import { RuleBody, RuleIdParam } from "../../shared/api-routing.ts";
import { TrackRecordsQuery } from "../../shared/api-track-records.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noBody, noQuery, param, query } from "../validate.ts";

export const routing = new Hono<AppEnv>();

/** 500 runs per chunk: one coordinator unit of ~5 statements per run stays a few ms, and one D1 page is small. */
export const REBUILD_CHUNK = 500;

// Every outcome a run can end with, from the one list the API's schema keeps (not a second copy to keep in step).
const OUTCOMES = new Set<string>(RunResultSchema.shape.outcome.options);

routing.get("/routing/track-records", async (c) => {
  requireRole(c, "viewer");
  const filter = query(c, TrackRecordsQuery);
  return c.json({ records: await unwrap(c.get("coordinator").trackRecords(c.get("productId"), filter)) });
});

routing.get("/routing/recommendations", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json({ recommendations: await unwrap(c.get("coordinator").routingRecommendations(c.get("productId"))) });
});

routing.get("/routing/rules", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json({ rules: await unwrap(c.get("coordinator").listRoutingRules(c.get("productId"))) });
});

routing.post("/routing/rules", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const input = await body(c, RuleBody);
  const rule = await unwrap(
    c.get("coordinator").addRoutingRule(c.get("productId"), input, actorOf(principal), openerOf(c)),
  );
  return c.json(rule, 201);
});

routing.delete("/routing/rules/:ruleId", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "ruleId", RuleIdParam);
  return c.json(
    await unwrap(c.get("coordinator").removeRoutingRule(c.get("productId"), id, actorOf(principal), openerOf(c))),
  );
});

routing.post("/routing/rebuild", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const productId = c.get("productId");
  const db = drizzle(c.env.DB);
  let after: { startedAt: number; id: string } | undefined;
  let first = true;
  let rebuild: number | undefined; // the number the first chunk answers: each later chunk names its rebuild
  const total = { counted: 0, skipped: 0, chunks: 0 };
  for (;;) {
    const where: SQL[] = [eq(runs.productId, productId), isNotNull(runs.endedAt), isNotNull(runs.outcome)];
    if (after) {
      const { startedAt, id } = after;
      where.push(or(gt(runs.startedAt, startedAt), and(eq(runs.startedAt, startedAt), gt(runs.id, id))) as SQL);
    }
    const rows = await db
      .select()
      .from(runs)
      .where(and(...where))
      .orderBy(asc(runs.startedAt), asc(runs.id))
      .limit(REBUILD_CHUNK);
    const chunk: HistoryRun[] = rows.flatMap((r) =>
      r.endedAt !== null && r.outcome !== null && OUTCOMES.has(r.outcome)
        ? [
            {
              jobId: r.jobId,
              leaseEpoch: r.leaseEpoch,
              factoryId: r.factoryId,
              engine: r.engine,
              startedAt: r.startedAt,
              endedAt: r.endedAt,
              outcome: r.outcome as RunResult["outcome"],
              costUsd: r.costUsd,
            },
          ]
        : [],
    );
    if (chunk.length > 0 || first) {
      const coordinator = c.get("coordinator");
      const done = await unwrap(
        coordinator.rebuildTrackRecords(productId, chunk, first, actorOf(principal), rebuild, openerOf(c)),
      );
      rebuild = done.rebuild;
      total.counted += done.counted;
      total.skipped += done.skipped;
      total.chunks += 1;
      first = false;
    }
    const last = rows.at(-1);
    if (!last || rows.length < REBUILD_CHUNK) break;
    after = { startedAt: last.startedAt, id: last.id };
  }
  return c.json(total);
});
