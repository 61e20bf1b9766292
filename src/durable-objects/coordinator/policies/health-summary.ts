/**
 * @module durable-objects/coordinator/policies/health-summary
 * A product's health as `GET …/health` answers it (issue 9, part 5), read-only at `tx.now`:
 * `{status: healthy|degraded|stalled, checkedAt, factories: {ok, degraded, down, left, disconnected}, openAlerts, lastFinishedAt,
 *   oldestQueuedAt, queued, inBackoff, building, thresholds}` — the status from core/health `productHealth`.
 * A queued job's wait is measured as `starving` measures it (core/health `starvingFrom`): a job waiting out a retry's
 * backoff joins the waiting work when the backoff ends. Both reads go along the due index that the starving page
 * reads (policies/health-starving `jobs_queued_due`): the oldest wait is its first entry, the jobs in backoff a range
 * at its end — never a pass over the whole queue.
 * Factories never seen (no heartbeat yet) and revoked ones are not counted: nothing of theirs went wrong.
 * `lastFinishedAt` is the last `shipped` job's change, remembered in meta so that retention pruning the job
 * (coordinator/jobs/retention) does not make a product look as if it never finished anything.
 */
import type { AlertSeverity } from "../../../core/alerts.ts";
import { type ProductHealthInputs, type ProductStatus, productHealth } from "../../../core/health.ts";
import type { Factory, Health } from "../../../core/model.ts";
import type { HealthThresholds } from "../../../core/settings.ts";
import { linkEndedIds } from "../factories/fleet-view.ts";
import { listFactories } from "../factories/registry.ts";
import { getMeta, getSettings, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { openAlertCounts } from "./alerts.ts";
import { STARVING_FROM_SQL } from "./health-starving.ts";

const FINISHED_KEY = "health_last_finished_at";

export interface ProductHealthView {
  status: ProductStatus;
  checkedAt: number;
  factories: Record<Health, number>;
  openAlerts: Record<AlertSeverity, number> & { total: number };
  lastFinishedAt: number | null;
  /**
   * When the longest wait of a job that waits now began (core/health `starvingFrom`: its requeue, the end of its
   * retry's backoff, or earlier when a lost lease or a rate limit did not end its wait); null when none waits now.
   */
  oldestQueuedAt: number | null;
  /** Every job in stage `queued`, those in backoff included (as the job list's `stage=queued` counts them). */
  queued: number;
  /**
   * Of `queued`, those waiting out a retry's backoff (`notBefore` ahead): not waiting work until it ends, so neither
   * `stalled` nor `oldestQueuedAt` counts them yet. A rate limit's backoff is not counted here: a rate-limited job
   * goes on waiting from when its wait began (jobs/rows `waitingSinceOf`), as `starving` measures it.
   */
  inBackoff: number;
  building: number;
  thresholds: HealthThresholds;
}

/**
 * `GET …/health`'s answer: the view, and of its `ok` + `degraded` factories those whose link ended
 * (`factories.disconnected`: factories/fleet-view `linkEndedIds`, the fleet view's rule) — counted in their health as
 * before (heartbeat-based, ~30 s to `down`), named apart so the header says at once what the fleet's cards say.
 */
export type ProductHealthAnswer = Omit<ProductHealthView, "factories"> & {
  factories: Record<Health, number> & { disconnected: number };
};

/** The answer at `tx.now`, read-only; `linked`: the factories with a greeted socket open now (`linkedFactoryIds`). */
export function productHealthAnswer(tx: Tx, linked: ReadonlySet<string>): ProductHealthAnswer {
  // One list for both counts: each is a pass over every factory's record and a count of every live lease.
  const fleet = listFactories(tx.sql, tx.now);
  const { view } = productHealthAt(tx, false, fleet);
  const disconnected = linkEndedIds(tx.sql, fleet, linked).size;
  return { ...view, factories: { ...view.factories, disconnected } };
}

/** When the longest wait began or begins (ms): the due index's first entry, one row read however long the queue. */
export const OLDEST_WAIT_SQL = `SELECT ${STARVING_FROM_SQL} AS t FROM jobs INDEXED BY jobs_queued_due
  WHERE stage = 'queued' ORDER BY ${STARVING_FROM_SQL} LIMIT 1`;

/** Queued jobs whose wait begins after `?` (ms): the index's range past now, the jobs in backoff and no others. */
export const IN_BACKOFF_SQL = `SELECT COUNT(*) AS n FROM jobs INDEXED BY jobs_queued_due
  WHERE stage = 'queued' AND ${STARVING_FROM_SQL} > ?`;

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

/**
 * The health inputs and view at `tx.now`; `remember` keeps `lastFinishedAt` in meta (a writing unit only); `fleet`:
 * the product's factories at `tx.now` when the caller has listed them already (registry `listFactories`).
 */
export function productHealthAt(
  tx: Tx,
  remember = true,
  fleet: readonly Factory[] = listFactories(tx.sql, tx.now),
): { view: ProductHealthView; inputs: ProductHealthInputs } {
  const thresholds = getSettings(tx.sql).health;
  const factories = { ok: 0, degraded: 0, down: 0, left: 0 }; // left: stopped on purpose, not an outage
  for (const f of fleet) if (f.status !== "revoked" && f.lastHeartbeatAt !== undefined) factories[f.health] += 1;
  const counts = openAlertCounts(tx);
  // The stalled alert follows from this very rule: counting it would make a stalled product "degraded" forever.
  const stalledLive = tx.sql
    .exec<{ severity: AlertSeverity }>("SELECT severity FROM alerts WHERE kind = 'stalled' AND state <> 'resolved'")
    .toArray();
  const openAlerts = { ...counts };
  for (const a of stalledLive) openAlerts[a.severity] -= 1;
  const queued = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE stage = 'queued'").one().n;
  // Not MIN(queued_at): a job in a week's backoff would make the product "stalled" with nothing it may run.
  const waitingSince = tx.sql.exec<{ t: number }>(OLDEST_WAIT_SQL).toArray()[0]?.t;
  const inBackoff = tx.sql.exec<{ n: number }>(IN_BACKOFF_SQL, tx.now).one().n;
  const building = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE stage = 'building'").one().n;
  const finished = lastFinishedAt(tx.sql);
  if (remember && finished !== undefined) setMeta(tx.sql, FINISHED_KEY, String(finished));
  const inputs: ProductHealthInputs = {
    lastFinishedAt: finished,
    oldestWaitingSince: waitingSince,
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
    oldestQueuedAt: waitingSince !== undefined && waitingSince <= tx.now ? waitingSince : null,
    queued,
    inBackoff,
    building,
    thresholds,
  };
  return { view, inputs };
}
