/**
 * @module durable-objects/coordinator/policies/health-summary
 * A product's health as `GET …/health` answers it (issue 9, part 5), read-only at `tx.now`:
 * `{status: healthy|degraded|stalled, checkedAt, factories: {ok, degraded, down, left}, openAlerts, lastFinishedAt,
 *   oldestQueuedAt, queued, building, thresholds}` — the status from core/health `productHealth`.
 * Factories never seen (no heartbeat yet) and revoked ones are not counted: nothing of theirs went wrong.
 * `lastFinishedAt` is the last `shipped` job's change, remembered in meta so that retention pruning the job
 * (coordinator/jobs/retention) does not make a product look as if it never finished anything.
 */
import type { AlertSeverity } from "../../../core/alerts.ts";
import { type ProductHealthInputs, type ProductStatus, productHealth } from "../../../core/health.ts";
import type { Health } from "../../../core/model.ts";
import type { HealthThresholds } from "../../../core/settings.ts";
import { listFactories } from "../factories/registry.ts";
import { getMeta, getSettings, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { openAlertCounts } from "./alerts.ts";

const FINISHED_KEY = "health_last_finished_at";

export interface ProductHealthView {
  status: ProductStatus;
  checkedAt: number;
  factories: Record<Health, number>;
  openAlerts: Record<AlertSeverity, number> & { total: number };
  lastFinishedAt: number | null;
  oldestQueuedAt: number | null;
  queued: number;
  building: number;
  thresholds: HealthThresholds;
}

/** The last finish, ms: the newest shipped job (the settled-jobs index), or the remembered one, whichever is later. */
function lastFinishedAt(sql: SqlStorage): number | undefined {
  const row = sql
    .exec<{ t: number | null }>(
      `SELECT json_extract(doc, '$.updatedAt') AS t FROM jobs
        WHERE stage IN ('shipped', 'dead_letter', 'cancelled') AND stage = 'shipped'
        ORDER BY json_extract(doc, '$.updatedAt') DESC LIMIT 1`,
    )
    .toArray()[0];
  const kept = Number(getMeta(sql, FINISHED_KEY) ?? Number.NaN);
  const at = Math.max(row?.t ?? Number.NEGATIVE_INFINITY, Number.isFinite(kept) ? kept : Number.NEGATIVE_INFINITY);
  return Number.isFinite(at) ? at : undefined;
}

/** The health inputs and view at `tx.now`; `remember` keeps `lastFinishedAt` in meta (a writing unit only). */
export function productHealthAt(
  tx: Tx,
  remember = true,
): { view: ProductHealthView; inputs: ProductHealthInputs; queued: number } {
  const thresholds = getSettings(tx.sql).health;
  const factories = { ok: 0, degraded: 0, down: 0, left: 0 }; // left: stopped on purpose, not an outage
  for (const f of listFactories(tx.sql, tx.now))
    if (f.status !== "revoked" && f.lastHeartbeatAt !== undefined) factories[f.health] += 1;
  const counts = openAlertCounts(tx);
  // The stalled alert follows from this very rule: counting it would make a stalled product "degraded" forever.
  const stalledLive = tx.sql
    .exec<{ severity: AlertSeverity }>("SELECT severity FROM alerts WHERE kind = 'stalled' AND state <> 'resolved'")
    .toArray();
  const openAlerts = { ...counts };
  for (const a of stalledLive) openAlerts[a.severity] -= 1;
  const q = tx.sql
    .exec<{ n: number; oldest: number | null }>(
      "SELECT COUNT(*) AS n, MIN(queued_at) AS oldest FROM jobs WHERE stage = 'queued'",
    )
    .one();
  // A job requeued without ending its wait (a lost lease) has waited since before its queued_at (jobs/rows).
  const chain = tx.sql
    .exec<{ t: number | null }>(
      "SELECT MIN(waiting_since) AS t FROM jobs INDEXED BY jobs_waiting_since WHERE waiting_since IS NOT NULL AND stage = 'queued'",
    )
    .one().t;
  const waitingSince = chain !== null && (q.oldest === null || chain < q.oldest) ? chain : q.oldest;
  const building = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE stage = 'building'").one().n;
  const finished = lastFinishedAt(tx.sql);
  if (remember && finished !== undefined) setMeta(tx.sql, FINISHED_KEY, String(finished));
  const inputs: ProductHealthInputs = {
    lastFinishedAt: finished,
    oldestWaitingSince: waitingSince ?? undefined,
    expectedFinishIntervalMinutes: thresholds.expectedFinishIntervalMinutes,
    openAlerts,
    factories,
  };
  const view: ProductHealthView = {
    status: productHealth(inputs, tx.now),
    checkedAt: tx.now,
    factories,
    openAlerts: { ...counts, total: counts.info + counts.warning + counts.critical },
    lastFinishedAt: finished ?? null,
    oldestQueuedAt: q.oldest,
    queued: q.n,
    building,
    thresholds,
  };
  return { view, inputs, queued: q.n };
}
