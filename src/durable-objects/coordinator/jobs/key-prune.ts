/**
 * @module durable-objects/coordinator/jobs/key-prune
 * The retention pass's share of idempotency keys (jobs/retention `pruneRows`): keys of jobs created before the
 * cut-off are forgotten — the job stays (its document still names the key); the key only stops deduplicating. Both
 * places a key is kept (jobs/idempotency: its hash row in `idempotency_keys`, which lookups read, and the `jobs`
 * column, UNIQUE) forget it in the same pass, at the same instants: a lookup reads the hash row alone, so a column
 * left holding a key whose row was forgotten would refuse that key's next job (the UNIQUE constraint).
 *
 * Whole instants at a time. One unit's keys share its `now`: the children of one `…/children` request
 * (`children:<parent>:<key>:<index>`, dag/children-keys), the items of one bulk message. A pass bounded by a plain
 * row LIMIT could forget part of them, and a replay of the request then met some of its keys and not others: a 409
 * `conflict`, where a clean replay or a clean "key expired, a new request" were the only right answers (found by a
 * concurrency reviewer). So a pass forgets the keys created before one instant, the same in both stores: at most
 * ROWS_PER_PASS rows from each, or all of an instant's keys when one instant alone fills a pass (an instant holds one
 * unit's keys at most, a few thousand).
 *
 * A tracker item's key (`tracker:<source>:<id>`, routes/bulk) is its identity, not a retry token: a tracker's sync
 * re-ingests an open item for as long as it stays open, and a job still alive at day 8 (queued behind a backlog,
 * blocked, in review, dead-lettered awaiting an operator's requeue) met by a forgotten key was made a second time —
 * two agent runs paid for one issue. So a tracker key is kept, in both stores, until its job can never run again
 * (shipped or cancelled); other keys expire as documented (core/retention), whatever their job's stage.
 */
import { execute } from "../../sql-statements.ts";
import { one, type Tx } from "../runtime/tx.ts";

/** Rows forgotten per store and pass, rounded to whole instants: keeps one pass to milliseconds however large the backlog. */
export const KEYS_PER_PASS = 1000;

/**
 * The exclusive instant (ms) below which `store`'s due rows fit this pass in whole instants: `before` when they all
 * fit; else the instant of the first row past KEYS_PER_PASS — or just after it, when that is also the oldest row's
 * (one instant fills the pass: it goes whole, so the pass never stalls).
 * `store`: `FROM … WHERE …` over rows with a `created_at`, `?1` bound to `before`.
 */
function wholeInstants(tx: Tx, store: string, before: number): number {
  const past = one<{ t: number }>(
    tx.sql,
    `SELECT created_at AS t ${store} ORDER BY created_at LIMIT 1 OFFSET ${KEYS_PER_PASS}`,
    before,
  );
  if (!past) return before;
  const oldest = one<{ t: number }>(tx.sql, `SELECT created_at AS t ${store} ORDER BY created_at LIMIT 1`, before);
  return oldest && oldest.t < past.t ? past.t : past.t + 1;
}

/** Stages a job never leaves: only there may a tracker key be forgotten (`dead_letter` can be requeued). */
const FINAL_SQL = "'shipped', 'cancelled'";
/** True for a tracker key (`k`: the SQL expression holding the key). */
const isTracker = (k: string) => `substr(${k}, 1, 8) = 'tracker:'`;

/** The hash rows older than `?1` that may be forgotten, walked along `idempotency_keys_by_created`. */
export const HASH_ROWS = `FROM idempotency_keys WHERE created_at < ?1 AND NOT (${isTracker("key")}
  AND job_id IN (SELECT id FROM jobs WHERE stage NOT IN (${FINAL_SQL})))`;
const JOB_KEYS = `idempotency_key IS NOT NULL AND created_at < ?1
  AND NOT (${isTracker("idempotency_key")} AND stage NOT IN (${FINAL_SQL}))`;
const JOB_COLUMN = `FROM jobs INDEXED BY jobs_keyed_by_created WHERE ${JOB_KEYS}`;

/**
 * Forgets the keys of jobs created before `before` (ms), bounded per pass in whole instants (module header).
 * @returns how many jobs' keys were forgotten (their `jobs` column cleared)
 */
export function pruneKeys(tx: Tx, before: number): number {
  const bound = Math.min(wholeInstants(tx, HASH_ROWS, before), wholeInstants(tx, JOB_COLUMN, before));
  execute(tx.sql, `DELETE ${HASH_ROWS}`, bound);
  return execute(
    tx.sql,
    `UPDATE jobs INDEXED BY jobs_keyed_by_created SET idempotency_key = NULL WHERE ${JOB_KEYS}`,
    bound,
  );
}
