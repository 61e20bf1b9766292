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
 * How long a lane waits for one product's sweep, or its prune, before it counts the pass as failed (logged) and
 * moves on (ms). A healthy pass takes milliseconds to a few seconds. Without a bound, a coordinator whose pass never
 * answered (a wedged object, a feed purge waiting on R2) held its lane for the whole invocation: its own prune never
 * ran, and SWEEP_CONCURRENCY such products held every lane, so no other product was swept — every minute, as the
 * next cron read the list in the same order and met the same products first.
 */
export const PASS_TIMEOUT_MS = 30_000;

/** What one sweep of every product did: products whose sweep and prune both succeeded, and those where either did not. */
export interface SweepSummary {
  swept: number;
  failed: number;
  /** The failed products' ids, in the order their lanes finished them. */
  failedIds: string[];
}

/**
 * Sweeps and prunes every product; `now` (ms) is the instant retention measures from (the cron's scheduled time;
 * tests set it). A pool of SWEEP_CONCURRENCY lanes, each taking the next product when its last is done: a product
 * whose sweep is slow (a deep outbox, a cold coordinator) holds one lane, never the rest — and no lane for longer
 * than `passTimeoutMs` (ms) a pass. In fixed chunks of 8, every later product waited for it — their lapsed leases,
 * stale sockets and retention with it — minute after minute.
 * @throws only when the product list itself cannot be read from D1
 */
export async function sweepAll(env: Env, now = Date.now(), passTimeoutMs = PASS_TIMEOUT_MS): Promise<SweepSummary> {
  const ids = (await drizzle(env.DB).select({ id: products.id }).from(products)).map((r) => r.id);
  const failedIds: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      // Each pass tried on its own: a sweep that keeps throwing (a product's outbox, its health pass) had skipped
      // the retention pass too, every minute, so that product's old feeds and keys were kept for good.
      let ok = await attempt(`sweep of ${id}`, passTimeoutMs, () => coordinatorFor(env, id).sweep(id));
      ok = (await attempt(`prune of ${id}`, passTimeoutMs, () => coordinatorFor(env, id).prune(id, now))) && ok;
      if (!ok) failedIds.push(id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, ids.length) }, lane));
  return { swept: ids.length - failedIds.length, failed: failedIds.length, failedIds };
}

/** Failed products a cron's error names; the rest are counted (each was logged on its own as it failed). */
const FAILED_NAMED = 20;

/**
 * The cron trigger's run (worker/index `scheduled`): `sweepAll` at the trigger's scheduled time (ms).
 * @throws when any product's sweep or prune failed, naming them: the runtime records a cron invocation's failure as
 *   its status (Cloudflare's past cron events; workerd's scheduled result, outcome `exception`). Before, every failure was
 *   caught and counted, the count dropped, and each minute's run was reported a success however many products it
 *   could not sweep — the only trace a warning per product among the logs.
 */
export async function cronSweep(env: Env, scheduledTime: number): Promise<SweepSummary> {
  const summary = await sweepAll(env, scheduledTime);
  if (summary.failed === 0) return summary;
  const named = summary.failedIds.slice(0, FAILED_NAMED).join(", ");
  const more = summary.failed > FAILED_NAMED ? ` and ${summary.failed - FAILED_NAMED} more` : "";
  const line = `cron sweep: ${summary.failed} of ${summary.swept + summary.failed} products failed (${named}${more}); the next minute tries again`;
  console.error(line);
  throw new Error(line);
}

/**
 * Runs `pass`; false (logged) when it throws, answers a refusal (`{ok: false, error}`, the coordinator's RPC
 * result: a unit that could not run — such an answer was counted as swept, so a refused pass was never said), or
 * has not answered within `timeoutMs` (ms): then it is left running and the lane goes on.
 */
async function attempt(what: string, timeoutMs: number, pass: () => Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), timeoutMs);
  });
  try {
    const result = (await Promise.race([pass(), late])) as
      | "late"
      | { ok?: unknown; error?: { code?: unknown; message?: unknown } }
      | undefined;
    if (result === "late") {
      console.warn(`${what} did not answer within ${timeoutMs} ms; left running, the next product goes on`);
      return false;
    }
    if (result?.ok !== false) return true;
    console.warn(`${what} refused: ${String(result.error?.code)}: ${String(result.error?.message)}`);
    return false;
  } catch (err) {
    console.warn(`${what} failed: ${String(err)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}
