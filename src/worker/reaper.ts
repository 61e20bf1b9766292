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

/** Products swept at once: enough to finish quickly, few enough not to stampede. */
const SWEEP_CONCURRENCY = 8;

/**
 * Sweeps and prunes every product; `now` (ms) is the instant retention measures from (tests set it). A pool of
 * SWEEP_CONCURRENCY lanes, each taking the next product when its last is done: a product whose sweep is slow (a deep
 * outbox, a cold coordinator) holds one lane, never the rest. In fixed chunks of 8, every later product waited for
 * it — their lapsed leases, stale sockets and retention with it — minute after minute.
 */
export async function sweepAll(env: Env, now = Date.now()): Promise<{ swept: number; failed: number }> {
  const ids = (await drizzle(env.DB).select({ id: products.id }).from(products)).map((r) => r.id);
  let failed = 0;
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      // Each pass tried on its own: a sweep that keeps throwing (a product's outbox, its health pass) had skipped
      // the retention pass too, every minute, so that product's old feeds and keys were kept for good.
      let ok = await attempt(`sweep of ${id}`, () => coordinatorFor(env, id).sweep(id));
      ok = (await attempt(`prune of ${id}`, () => coordinatorFor(env, id).prune(id, now))) && ok;
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, ids.length) }, lane));
  return { swept: ids.length - failed, failed };
}

/**
 * Runs `pass`; false (logged) when it throws or answers a refusal (`{ok: false, error}`, the coordinator's RPC
 * result: a unit that could not run) — such an answer was counted as swept, so a refused pass was never said.
 */
async function attempt(what: string, pass: () => Promise<unknown>): Promise<boolean> {
  try {
    const result = (await pass()) as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
    if (result?.ok !== false) return true;
    console.warn(`${what} refused: ${String(result.error?.code)}: ${String(result.error?.message)}`);
    return false;
  } catch (err) {
    console.warn(`${what} failed: ${String(err)}`);
    return false;
  }
}
