/**
 * @module worker/reaper
 * The cron safety net behind the coordinators' alarms: every product that ever
 * wrote history is swept — lapsed leases expired (if an alarm was lost), silent
 * factories disconnected, the outbox shipped, the alarm re-armed, a dispatch
 * pass run — then the retention pass (core/retention: expired enrollment codes,
 * old idempotency keys, feeds of long-terminal jobs). Each sweep is idempotent,
 * so overlapping runs are harmless.
 */
import { drizzle } from "drizzle-orm/d1";
import { products } from "../history/schema.ts";
import { coordinatorFor } from "./auth.ts";

/** Products swept in parallel: enough to finish quickly, few enough not to stampede. */
const SWEEP_CONCURRENCY = 8;

/** Sweeps and prunes every product; `now` (ms) is the instant retention measures from (tests set it). */
export async function sweepAll(env: Env, now = Date.now()): Promise<{ swept: number; failed: number }> {
  const ids = (await drizzle(env.DB).select({ id: products.id }).from(products)).map((r) => r.id);
  let failed = 0;
  for (let i = 0; i < ids.length; i += SWEEP_CONCURRENCY) {
    const results = await Promise.allSettled(
      ids.slice(i, i + SWEEP_CONCURRENCY).map(async (id) => {
        const coordinator = coordinatorFor(env, id);
        await coordinator.sweep(id);
        await coordinator.prune(id, now);
      }),
    );
    for (const r of results) {
      if (r.status === "rejected") {
        failed++;
        console.warn(`sweep failed: ${String(r.reason)}`);
      }
    }
  }
  return { swept: ids.length - failed, failed };
}
