/**
 * @module durable-objects/coordinator/policies/factory-rates
 * Each factory's runs and successes over the last FACTORY_WINDOW_MS, as `GET …/metrics` and its Prometheus text
 * answer them (policies/metrics `metricsSnapshot`), counted by the one rule every count of runs reads: core/run-counts
 * `countsAs`. The SQL is built FROM that function (`COUNTED_SQL`), not written beside it: the ratio read the outcome
 * column alone and left every `budget_exceeded` out, while track records and experiments counted an overrun of the
 * job's own budget as the engine's failure — a factory that kept blowing its budget read 100 % here.
 *
 * The rule needs a result's `retryable` (a product budget's stop-and-requeue is not counted), so a run's row keeps it
 * in a column of its own (`runs.retryable`: 1, 0, or NULL when the result said nothing), written as the run ends
 * (jobs/runs `finishRun`), and the window's index covers it: a scrape never reads a run's document.
 */

import { ratio } from "../../../core/metrics.ts";
import type { Factory, RunResult } from "../../../core/model.ts";
import { countsAs, RUN_OUTCOMES, type RunOutcome } from "../../../core/run-counts.ts";
import { FACTORY_WINDOW_MS, type FactoryRate } from "../../../shared/api-metrics.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";

/** `countsAs` as SQL: 1 (success), 0 (failure) or NULL (not counted). Constants only, never input. */
const lit = (v: boolean | undefined): string => (v === undefined ? "NULL" : v ? "1" : "0");

/** The outcomes whose count depends on the result's `retryable` (by the rule: `budget_exceeded`). */
const BY_RETRYABLE: RunOutcome[] = RUN_OUTCOMES.filter(
  (o) => new Set([countsAs(o, true), countsAs(o, false), countsAs(o)]).size > 1,
);

/**
 * `countsAs(outcome, retryable)` over a runs row's `outcome` and `retryable` columns (1 true, 0 false, NULL absent):
 * 1, 0 or NULL — an outcome the rule does not know is NULL too. Each outcome's arm is the function's own answer.
 */
export const COUNTED_SQL = `CASE outcome ${RUN_OUTCOMES.map((o) => {
  const then = BY_RETRYABLE.includes(o)
    ? `CASE retryable WHEN 1 THEN ${lit(countsAs(o, true))} WHEN 0 THEN ${lit(countsAs(o, false))} ELSE ${lit(countsAs(o))} END`
    : lit(countsAs(o));
  return `WHEN '${o}' THEN ${then}`;
}).join(" ")} END`;

/** A run result's `retryable` as the `runs.retryable` column holds it: 1, 0, or null when the result says nothing. */
export function retryableColumn(result: RunResult): number | null {
  return result.retryable === undefined ? null : result.retryable ? 1 : 0;
}

/** Per factory, the runs that ended in the window (`?1`, ms) with a counted outcome, and the successes among them. */
export const FACTORY_RATES_SQL = `SELECT factory_id, COUNT(*) AS runs, SUM(c) AS successes
  FROM (SELECT factory_id, ${COUNTED_SQL} AS c FROM runs WHERE ended_at IS NOT NULL AND ended_at >= ?)
  WHERE c IS NOT NULL GROUP BY factory_id`;

/**
 * `runs.retryable` on a table made before it; the index FACTORY_RATES_SQL reads, covering (end instant, factory,
 * outcome, retryable) — without it every `GET …/metrics` (a Prometheus scrape, every 15–60 s) scanned every run the
 * product ever had; with it, a range over the window alone. It replaces `runs_by_end`, which lacked `retryable`.
 * Applied after the runs table's rebuild (runtime/schema `keyRunsByEpoch`), whose DROP would take the index along.
 *
 * Then, on EVERY start, the window's rows whose column the rule reads (BY_RETRYABLE) but that hold NULL are filled
 * from their documents: not only a table just given the column — an older binary run after a rollback ends runs
 * without writing it, and a product stop then read as a failure. Only the window (`now` − FACTORY_WINDOW_MS, ms) is
 * ever counted, so only it is filled, over the index's range: idempotent, and a start reads no older run.
 */
export function applyRunCountSchema(sql: SqlStorage, now: number): void {
  if (!columnsOf(sql, "runs").has("retryable")) execute(sql, "ALTER TABLE runs ADD COLUMN retryable INTEGER");
  execute(
    sql,
    `CREATE INDEX IF NOT EXISTS runs_by_end_counted ON runs(ended_at, factory_id, outcome, retryable)
       WHERE ended_at IS NOT NULL;
     DROP INDEX IF EXISTS runs_by_end;`,
  );
  const outcomes = BY_RETRYABLE.map((o) => `'${o}'`).join(", ");
  const said = "json_extract(doc, '$.result.retryable')";
  execute(
    sql,
    `UPDATE runs SET retryable = ${said} WHERE ended_at IS NOT NULL AND ended_at >= ? AND outcome IN (${outcomes})
       AND retryable IS NULL AND ${said} IS NOT NULL`,
    now - FACTORY_WINDOW_MS,
  );
}

/**
 * Counted runs that ended in the window, per factory: every enrolled factory (0 runs included), and one revoked or
 * deregistered only while a counted run of it ended in the window. A revoked factory's row is kept for good
 * (revocation is final: it enrolls again under a new id), and listing it with 0 runs added three Prometheus series
 * per revocation, for ever — a label set that grew with each revoke and re-enroll.
 */
export function factoryRates(tx: Tx, factories: readonly Factory[]): FactoryRate[] {
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
