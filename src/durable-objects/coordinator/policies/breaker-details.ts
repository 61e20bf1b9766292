/**
 * @module durable-objects/coordinator/policies/breaker-details
 * Every breaker not closed (open or half-open), with its factory as `overflow: hold` reads it (core/route-filter
 * `breakerHolders`: in service and capable) and what the waiting words say of it (until when, the trial out). Read
 * once per route context, beside `openBreakerKeys` (dispatch/claim `routeContext`): no row when no breaker is open.
 */
import { standingHealth } from "../../../core/departure.ts";
import type { BreakerDetail } from "../../../core/route-filter.ts";
import { cachedFactory } from "../factories/cache.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * `${factoryId}:${engine}` → its breaker's `openUntil` (ms epoch), trial job id and factory (absent once
 * deregistered). A superset of `openBreakerKeys`' keys: a half-open breaker whose trial this unit admits later is
 * in it too.
 */
export function breakerDetails(tx: Tx): ReadonlyMap<string, BreakerDetail> {
  const details = new Map<string, BreakerDetail>();
  const rows = tx.sql
    .exec<{ factory_id: string; engine: string; open_until: number; trial_job_id: string | null }>(
      "SELECT factory_id, engine, open_until, trial_job_id FROM breakers WHERE open_until IS NOT NULL",
    )
    .toArray();
  for (const r of rows) {
    const f = cachedFactory(tx.sql, r.factory_id);
    const factory = f && { status: f.status, capabilities: f.capabilities, health: standingHealth(f, tx.now) };
    details.set(`${r.factory_id}:${r.engine}`, {
      openUntil: r.open_until,
      ...(r.trial_job_id !== null ? { trialJobId: r.trial_job_id } : {}),
      ...(factory ? { factory } : {}),
    });
  }
  return details;
}
