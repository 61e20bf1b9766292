/**
 * @module durable-objects/coordinator/policies/breaker-reset-runs
 * The runs an operator's breaker reset left out (core/breaker `resetAt`): a run whose lease was granted before the
 * reset is about the engine as it was, so its end counts against neither the breaker nor the error budget. The
 * instant is stored on the breaker row (`breakers.reset_at`) only while such a run is still out — read here at the
 * reset (policies/breaker-reset) and again only when one of them ends (policies/breakers): no read on a run's end
 * otherwise, and no row kept for ever.
 */
import { DEFAULT_ENGINE } from "../../../core/breaker.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import { one } from "../runtime/tx.ts";

/** `breakers.reset_at` (ms epoch, NULL: no run from before a reset out) on a table made before it. Idempotent. */
export function applyBreakerResetColumn(sql: SqlStorage): void {
  if (!columnsOf(sql, "breakers").has("reset_at")) execute(sql, "ALTER TABLE breakers ADD COLUMN reset_at INTEGER");
}

/**
 * True when a run of `factoryId` × `engine` (engine key, `*` the default) granted strictly before `at` (ms epoch)
 * is still out (not ended). One read of the runs of that factory.
 */
export function runOutBefore(sql: SqlStorage, factoryId: string, engine: string, at: number): boolean {
  const row = one(
    sql,
    `SELECT 1 AS x FROM runs WHERE factory_id = ? AND ended_at IS NULL AND started_at < ?
       AND COALESCE(engine, '${DEFAULT_ENGINE}') = ? LIMIT 1`,
    factoryId,
    at,
    engine,
  );
  return row !== undefined;
}
