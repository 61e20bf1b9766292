/**
 * @module durable-objects/coordinator/policies/metrics
 * The coordinator's counters and dispatch-latency histogram (issue 9, part 9), and the snapshot `GET …/metrics` and
 * `GET …/stats` read.
 *
 * Each counter is bumped by a one-line call inside the unit that makes the event (dispatch/claim `assignJob`,
 * dispatch/lease-ops `expireDue`, jobs/report `afterFailure`): a rolled-back unit rolls its count back too, so a
 * counter can never drift from what happened. Rows of `metric_counters` (runtime/schema): `lease_expiries`,
 * `retries`, `dispatch_count`, `dispatch_sum_ms`, and `dispatch_bucket_<i>` (NOT cumulative; i indexes
 * core/metrics `LATENCY_BUCKETS_MS`, the last is `+Inf`).
 *
 * A factory's runs and success ratio (policies/factory-rates) count by core/run-counts `countsAs`, as track records
 * and experiments do: an overrun of the job's own budget is a failure, a product budget's stop on neither side.
 */
import { bucketIndex, cumulativeBuckets, dispatchLatencyMs, emptyHistogram, ratio } from "../../../core/metrics.ts";
import { type Job, STAGES, type Stage } from "../../../core/model.ts";
import {
  FACTORY_WINDOW_MS,
  METRICS_SCHEMA_VERSION,
  type MetricsSnapshot,
  type StatsSnapshot,
} from "../../../shared/api-metrics.ts";
import { execute } from "../../sql-statements.ts";
import { linkEndedIds } from "../factories/fleet-view.ts";
import { listFactories } from "../factories/registry.ts";
import { queueVersion } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { openAlertCounts } from "./alerts.ts";
import { listBreakers } from "./breaker-views.ts";
import { dispatchPaused } from "./budget.ts";
import { budgetPauseOf, budgetSnapshot } from "./budget-view.ts";
import { factoryRates } from "./factory-rates.ts";

function bump(tx: Tx, name: string, by = 1): void {
  execute(
    tx.sql,
    "INSERT INTO metric_counters(name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = value + ?2",
    name,
    by,
  );
}

/**
 * A lease was granted at `tx.now` for `job` as it was while queued: one dispatch-latency sample. Its bucket, the
 * count and the sum in one statement: it runs on every assignment (three upserts were 1 % of the CPU, issue 12).
 */
export function recordDispatch(tx: Tx, job: Pick<Job, "queuedAt" | "notBefore">): void {
  const ms = dispatchLatencyMs(job.queuedAt, job.notBefore, tx.now);
  execute(
    tx.sql,
    `INSERT INTO metric_counters(name, value) VALUES (?1, 1), ('dispatch_count', 1), ('dispatch_sum_ms', ?2)
       ON CONFLICT(name) DO UPDATE SET value = value + excluded.value`,
    `dispatch_bucket_${bucketIndex(ms)}`,
    ms,
  );
}

/** `n` leases ran out (and were expired) in this unit. */
export function recordLeaseExpiries(tx: Tx, n: number): void {
  if (n > 0) bump(tx, "lease_expiries", n);
}

/** A failed job was queued again for another attempt. */
export function recordRetry(tx: Tx): void {
  bump(tx, "retries");
}

function counters(sql: SqlStorage): Map<string, number> {
  const rows = sql.exec<{ name: string; value: number }>("SELECT name, value FROM metric_counters").toArray();
  return new Map(rows.map((r) => [r.name, r.value]));
}

/**
 * Counts by stage. SQLite answers it from an index that leads with `stage` (a covering scan: no job document is
 * read) — it picks `jobs_by_stage_created`, narrower than the bucket index (test/integration/bounded-reads.test.ts).
 */
export const STAGE_COUNT_SQL = "SELECT stage, COUNT(*) AS n FROM jobs GROUP BY stage";

/** Jobs per stage, every stage present (0 when none). */
export function countByStage(sql: SqlStorage): Record<Stage, number> {
  const counts = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  for (const r of sql.exec<{ stage: Stage; n: number }>(STAGE_COUNT_SQL).toArray()) {
    counts[r.stage] = r.n;
  }
  return counts;
}

export function statsSnapshot(tx: Tx): StatsSnapshot {
  const counts = countByStage(tx.sql);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { counts, total, queueVersion: queueVersion(tx.sql), generated_at: tx.now };
}

/**
 * Everything `GET …/metrics` answers, read in one unit at `tx.now`. `linked`: the factories with a greeted socket
 * open now (factories/fleet-view `linkedFactoryIds`), whose link the seats' `disconnected` counts read.
 */
export function metricsSnapshot(tx: Tx, linked: ReadonlySet<string>): MetricsSnapshot {
  const c = counters(tx.sql);
  const hist = emptyHistogram();
  hist.counts = hist.counts.map((_, i) => c.get(`dispatch_bucket_${i}`) ?? 0);
  const factories = listFactories(tx.sql, tx.now);
  // Seats that can take work now: active factories that are not down (nor left). Busy: live leases anywhere.
  const up = (f: (typeof factories)[number]) => f.status === "active" && f.health !== "down" && f.health !== "left";
  const upFactories = factories.filter(up);
  const total = upFactories.reduce((n, f) => n + f.seats, 0);
  const busy = factories.reduce((n, f) => n + f.load, 0);
  // The factories whose link ended while their heartbeats say up (the fleet view's rule), over every factory as
  // `GET …/health` counts them: a draining or quarantined one too — its running work cannot report either. Only active
  // ones' seats are in `total` (counted still: health lags a closed socket by ~30 s), so only theirs are `disconnected`.
  const ended = linkEndedIds(tx.sql, factories, linked);
  const cut = upFactories.filter((f) => ended.has(f.id));
  const seats = {
    busy,
    total,
    utilisation: ratio(busy, total),
    disconnected: cut.reduce((n, f) => n + f.seats, 0),
    disconnectedFactories: ended.size,
  };
  // What dispatch itself reads, not the budget's state: an operator's pause with no budget set is the flag alone; past
  // a period's boundary the budget is rolled over first (policies/budget `dispatchPaused`), as a claim would be.
  const paused = dispatchPaused(tx);
  const budget = budgetSnapshot(tx);
  const pausedBy = paused ? (budgetPauseOf(tx)?.pausedBy ?? (budget ? "exhausted" : "operator")) : undefined;
  return {
    schema_version: METRICS_SCHEMA_VERSION,
    generated_at: tx.now,
    product: tx.productId,
    queue: { depthByStage: countByStage(tx.sql) },
    seats,
    dispatchLatencyMs: {
      buckets: cumulativeBuckets(hist),
      count: c.get("dispatch_count") ?? 0,
      sumMs: c.get("dispatch_sum_ms") ?? 0,
    },
    leaseExpiries: c.get("lease_expiries") ?? 0,
    retries: c.get("retries") ?? 0,
    breakers: listBreakers(tx),
    ...(budget ? { budget } : {}),
    dispatchPaused: paused,
    ...(pausedBy ? { dispatchPausedBy: pausedBy } : {}),
    openAlerts: openAlertCounts(tx),
    factories: factoryRates(tx, factories),
    factoryWindowMs: FACTORY_WINDOW_MS,
  };
}
