/**
 * @module durable-objects/coordinator/policies/breaker-details
 * Every breaker not closed (open or half-open), with its factory as `overflow: hold` reads it (core/route-filter
 * `breakerHolders`: in service — active, not left, not down — and capable) and what the waiting words say of it (until when, the trial out). Read
 * once per route context from the same rows as `openBreakerKeys` (dispatch/claim `routeContext`: one read of the
 * table feeds both): no row when no breaker is open.
 */
import { standingHealth } from "../../../core/departure.ts";
import type { BreakerDetail } from "../../../core/route-filter.ts";
import { cachedFactory } from "../factories/cache.ts";
import type { Tx } from "../runtime/tx.ts";
import { type BreakerRow, notClosedBreakers } from "./breakers.ts";

/**
 * `${factoryId}:${engine}` → its breaker's `openUntil` (ms epoch), trial job id and factory (absent once
 * deregistered). A superset of `openBreakerKeys`' keys: a half-open breaker whose trial this unit admits later is
 * in it too.
 */
export function breakerDetails(
  tx: Tx,
  rows: readonly BreakerRow[] = notClosedBreakers(tx),
): ReadonlyMap<string, BreakerDetail> {
  const details = new Map<string, BreakerDetail>();
  for (const r of rows) {
    const f = cachedFactory(tx.sql, r.factory_id);
    const factory = f && { status: f.status, capabilities: f.capabilities, health: standingHealth(f, tx.now) };
    details.set(`${r.factory_id}:${r.engine}`, {
      openUntil: r.open_until ?? 0, // never null here: the rows are the breakers not closed
      ...(r.trial_job_id !== null ? { trialJobId: r.trial_job_id } : {}),
      ...(factory ? { factory } : {}),
    });
  }
  return details;
}
