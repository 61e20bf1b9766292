/**
 * @module durable-objects/coordinator/dispatch/exclusions
 * The `exclusions` table: which factory lost which job's lease, how often, and until when the router keeps
 * the job away from it (the rules are core/exclusions). Written where a lease is lost (expiry, release,
 * rejection), read as one lookup per routing decision, cleared by an operator's requeue.
 */
import { type Exclusion, type LossKind, nextExclusion, STRIKE_MEMORY_MS } from "../../../core/exclusions.ts";
import { execute } from "../../sql-statements.ts";
import { enqueueEvent } from "../outbox/records.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";

interface ExclusionRow extends Record<string, SqlStorageValue> {
  job_id: string;
  factory_id: string;
  strikes: number;
  kind: string;
  at: number;
  until: number;
}

function rowToExclusion(r: ExclusionRow): Exclusion {
  return {
    jobId: r.job_id,
    factoryId: r.factory_id,
    strikes: r.strikes,
    kind: r.kind as LossKind,
    at: r.at,
    until: r.until,
  };
}

/**
 * A lease of `jobId` was lost by `factoryId` at `tx.now`: one more strike, a longer exclusion.
 * Returns the exclusion now in force (its `until` is when the factory may have the job again).
 */
export function recordLoss(tx: Tx, jobId: string, factoryId: string, kind: LossKind): Exclusion {
  const row = one<ExclusionRow>(
    tx.sql,
    "SELECT * FROM exclusions WHERE job_id = ? AND factory_id = ?",
    jobId,
    factoryId,
  );
  const next = nextExclusion(row && rowToExclusion(row), { jobId, factoryId, kind }, tx.now);
  execute(
    tx.sql,
    `INSERT INTO exclusions(job_id, factory_id, strikes, kind, at, until) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(job_id, factory_id) DO UPDATE SET strikes = excluded.strikes, kind = excluded.kind,
       at = excluded.at, until = excluded.until`,
    jobId,
    factoryId,
    next.strikes,
    next.kind,
    next.at,
    next.until,
  );
  return next;
}

/**
 * Every exclusion still in force at `now`, as the router's `exclusionOf` lookup. One query per routing
 * pass (not one per job × factory): a dispatch pass scores up to a thousand jobs against every factory.
 */
export function exclusionLookup(
  sql: SqlStorage,
  now: number,
): (jobId: string, factoryId: string) => Exclusion | undefined {
  const rows = sql.exec<ExclusionRow>("SELECT * FROM exclusions WHERE until > ?", now).toArray();
  if (rows.length === 0) return () => undefined;
  const byKey = new Map(rows.map((r) => [`${r.job_id}\n${r.factory_id}`, rowToExclusion(r)]));
  return (jobId, factoryId) => byKey.get(`${jobId}\n${factoryId}`);
}

/** The exclusions of one job (in force or only remembered), by factory id: for explain and the API. */
export function exclusionsOf(sql: SqlStorage, jobId: string): Exclusion[] {
  return sql
    .exec<ExclusionRow>("SELECT * FROM exclusions WHERE job_id = ? ORDER BY factory_id", jobId)
    .toArray()
    .map(rowToExclusion);
}

/** An operator's requeue: the job starts over on every factory, strikes forgotten. Returns how many were cleared. */
export function clearExclusions(tx: Tx, jobId: string): number {
  return execute(tx.sql, "DELETE FROM exclusions WHERE job_id = ?", jobId);
}

/**
 * The earliest instant (ms) after `?` = now that an exclusion of a queued job ends: the alarm wakes then (one column
 * of runtime/alarm's NEXT_DUE_SQL), because a job that only one (excluded) factory can run must be offered to it
 * again when the backoff ends — nothing else would move the queue and start a dispatch pass. Exclusions in order of
 * their end, each job looked up by id (CROSS JOIN keeps that order): the planner, with no statistics, walked every
 * queued job instead — after every unit.
 */
export const NEXT_EXCLUSION_END_SQL = `SELECT e.until AS t FROM exclusions e INDEXED BY exclusions_by_until
  CROSS JOIN jobs j ON j.id = e.job_id WHERE e.until > ? AND j.stage = 'queued' ORDER BY e.until LIMIT 1`;

/**
 * Forget exclusions that have ended and whose strikes no longer count (older than STRIKE_MEMORY_MS, the
 * same memory `nextExclusion` applies). Idempotent; the `until` index bounds the scan.
 */
export function forgetExclusions(tx: Tx): number {
  return execute(tx.sql, "DELETE FROM exclusions WHERE until <= ? AND at <= ?", tx.now, tx.now - STRIKE_MEMORY_MS);
}

/**
 * A factory's capabilities changed (core/exclusions `grantChangeClearsExclusions`): every exclusion it earned
 * ends now, each job's feed says so, and the queue version moves so a dispatch pass offers those jobs again.
 * The strikes are kept (the row ends now instead of going): a host that changes what it declares only to get
 * its jobs back loses them again at the next, doubled backoff, instead of starting over at the base.
 * Returns how many were cleared.
 */
export function clearFactoryExclusions(tx: Tx, factoryId: string, why: string): number {
  const jobs = tx.sql
    .exec<{ job_id: string }>(
      "UPDATE exclusions SET until = ?2 WHERE factory_id = ?1 AND until > ?2 RETURNING job_id",
      factoryId,
      tx.now,
    )
    .toArray();
  for (const { job_id } of jobs) enqueueEvent(tx, job_id, "exclusion.cleared", { factoryId, why });
  if (jobs.length > 0) bumpQueueVersion(tx.sql);
  return jobs.length;
}
