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
 * A factory's success ratio counts what its breakers count (policies/track-records `countsAs`, but for overruns):
 * a run an operator, a more urgent job, a hand-back, a budget or a lost lease ended (`cancelled`, `preempted`,
 * `handed_back`, `budget_exceeded`, `fenced`) is on neither side.
 */
import { bucketIndex, cumulativeBuckets, dispatchLatencyMs, emptyHistogram, ratio } from "../../../core/metrics.ts";
import { type Factory, type Job, type RunResult, STAGES, type Stage } from "../../../core/model.ts";
import {
  FACTORY_WINDOW_MS,
  type FactoryRate,
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
import { countsAs } from "./track-records.ts";

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

/** Every run outcome, as a record so a new outcome does not compile until it is listed here. */
const OUTCOMES: Record<RunResult["outcome"], true> = {
  success: true,
  failure: true,
  timeout: true,
  rate_limited: true,
  cancelled: true,
  preempted: true,
  handed_back: true,
  budget_exceeded: true,
  fenced: true,
};
/** The outcomes that count as neither success nor failure, as SQL string literals (constants, never input). */
const NEUTRAL_SQL = (Object.keys(OUTCOMES) as RunResult["outcome"][])
  // Every `budget_exceeded` too: the SQL reads the outcome column alone, not whether the run spent the job's own budget.
  .filter((o) => o === "budget_exceeded" || countsAs(o) === undefined)
  .map((o) => `'${o}'`)
  .join(", ");

/** Per factory, runs that ended in the window with a counted outcome and the successes among them. */
export const FACTORY_RATES_SQL = `SELECT factory_id, COUNT(*) AS runs, SUM(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END) AS successes
  FROM runs WHERE ended_at IS NOT NULL AND ended_at >= ? AND outcome NOT IN (${NEUTRAL_SQL}) GROUP BY factory_id`;

/**
 * The index FACTORY_RATES_SQL reads, covering (end instant, factory, outcome): runs are kept for good, and without it
 * every `GET …/metrics` — a Prometheus scrape, every 15–60 s — scanned every run the product ever had, a cost that
 * grew with its history; with it, a range over the window alone. Applied by runtime/schema after the runs table's
 * rebuild (`keyRunsByEpoch`), whose DROP of the old table would take an index made before it along.
 */
export const RUNS_BY_END_SQL =
  "CREATE INDEX IF NOT EXISTS runs_by_end ON runs(ended_at, factory_id, outcome) WHERE ended_at IS NOT NULL";

/**
 * Counted runs that ended in the window, per factory: every enrolled factory (0 runs included), and one revoked or
 * deregistered only while a run of it ended in the window. A revoked factory's row is kept for good (revocation is
 * final: it enrolls again under a new id), and listing it with 0 runs added three Prometheus series per revocation,
 * for ever — a label set that grew with each revoke and re-enroll.
 */
function factoryRates(tx: Tx, factories: readonly Factory[]): FactoryRate[] {
  const rows = tx.sql
    .exec<{ factory_id: string; runs: number; successes: number }>(FACTORY_RATES_SQL, tx.now - FACTORY_WINDOW_MS)
    .toArray();
  const byId = new Map(rows.map((r) => [r.factory_id, r]));
  const names = new Map(factories.map((f) => [f.id, f.name]));
  const enrolled = factories.filter((f) => f.status !== "revoked").map((f) => f.id);
  const ids = new Set([...enrolled, ...byId.keys()]);
  return [...ids].sort().map((id) => {
    const r = byId.get(id);
    const runs = r?.runs ?? 0;
    const successes = r?.successes ?? 0;
    return { id, name: names.get(id) ?? id, runs, successes, successRate: ratio(successes, runs) };
  });
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
