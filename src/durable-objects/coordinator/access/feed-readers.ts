/**
 * @module durable-objects/coordinator/access/feed-readers
 * Who may read what, and which live feed streams each credential opened: a
 * factory reads only a job it holds or held (its lease column, or a run row —
 * both indexed by job), and every feed stream (WebSocket, SSE, or one opened
 * with a ticket) is registered here under the SHA-256 of the token behind it,
 * so revoking, rotating or deregistering that token can tell exactly those
 * jobs' feeds to close their streams (durable-objects/feed/revocation).
 *
 * The register is a table, not memory: a coordinator evicted between the
 * stream opening and the revocation must still know whom to tell. A row goes
 * when its token is retired (moved to `feed_closings`, drained a page at a
 * time: access/feed-closings) or when retention purges its job's feed (which
 * closes every stream of it: `forgetWatchersOf`) — so a long-lived viewer
 * token holds a row per job it watched within the retention window, not one
 * per job it ever opened.
 */
import { DomainError } from "../../../core/errors.ts";
import { execute } from "../../sql-statements.ts";
import { requireJob } from "../jobs/rows.ts";
import { ranBy } from "../jobs/runs.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { FEED_CLOSINGS_SQL, queueClosings } from "./feed-closings.ts";
import { assertCallerLive } from "./tokens.ts";

/**
 * The register (part of runtime/schema SCHEMA_SQL), the index by job that retention deletes a purged feed's rows
 * along, and the backlog of feeds to close (access/feed-closings).
 */
export const FEED_WATCHERS_SQL = `
CREATE TABLE IF NOT EXISTS feed_watchers (
  token_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  PRIMARY KEY (token_hash, job_id)
);
CREATE INDEX IF NOT EXISTS feed_watchers_by_job ON feed_watchers(job_id);
${FEED_CLOSINGS_SQL}`;

/**
 * Whether factory `factoryId` may read job `jobId`: it holds the job's lease
 * now, or ran an attempt of it before.
 * @throws NotFoundError when the job does not exist; DomainError `forbidden` otherwise.
 */
export function assertFactoryMayRead(sql: SqlStorage, factoryId: string, jobId: string): void {
  const job = requireJob(sql, jobId);
  if (job.holderFactoryId === factoryId || ranBy(sql, jobId, factoryId)) return;
  throw new DomainError("forbidden", `a factory reads only the jobs it holds or held; ${jobId} is not one of them`);
}

/**
 * Remember that the token with `tokenHash` opened a live stream of job `jobId`.
 * The token is checked again here, in the same serialised unit as a revocation:
 * either this runs first (and the revocation finds the row) or the stream is refused.
 * @throws DomainError `unauthorized` (token revoked meanwhile), NotFoundError (no such job).
 */
export function recordWatcher(tx: Tx, tokenHash: string, jobId: string): void {
  assertCallerLive(tx, tokenHash);
  requireJob(tx.sql, jobId);
  execute(
    tx.sql,
    "INSERT INTO feed_watchers(token_hash, job_id, opened_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET opened_at = excluded.opened_at",
    tokenHash,
    jobId,
    tx.now,
  );
}

/**
 * How old a row must be for a purge to have closed its stream: a stream registered reaches its feed within the
 * Worker's one request (seconds), so one registered a minute before the purge was answered is open there, and closed.
 */
const PURGED_STREAM_GRACE_MS = 60_000;

/**
 * Retention purged the feeds of `jobIds` (just now), closing every stream they had: nothing is left there to close
 * on a revocation, so their rows go (along `feed_watchers_by_job`) — but for rows of the last minute, whose stream
 * may have reached the feed after the purge (a registration in flight): those wait for their token's retirement.
 */
export function forgetWatchersOf(tx: Tx, jobIds: readonly string[]): void {
  const before = tx.now - PURGED_STREAM_GRACE_MS;
  for (const id of jobIds) {
    execute(tx.sql, "DELETE FROM feed_watchers WHERE job_id = ? AND opened_at < ?", id, before);
  }
}

/** The hash an operator/viewer token `id` authenticates with (to close what it opened), if any. */
export function tokenHashOf(sql: SqlStorage, tokenId: string): string | undefined {
  return one<{ token_hash: string }>(sql, "SELECT token_hash FROM tokens WHERE id = ?", tokenId)?.token_hash;
}

/** The hash factory `factoryId` authenticates with right now, if it has one. */
export function factoryTokenHashOf(sql: SqlStorage, factoryId: string): string | undefined {
  return (
    one<{ token_hash: string | null }>(sql, "SELECT token_hash FROM factories WHERE id = ?", factoryId)?.token_hash ??
    undefined
  );
}

/** The live feed streams a credential opened: its token hash, and how many feeds were queued to close them. */
export interface Watched {
  hash: string;
  queued: number;
}

/**
 * What a unit that retires a credential answers (`value`) and the streams it opened (`watched`): those are
 * closed only after the unit commits, since closing them is an RPC to each job's feed (access/feed-closings).
 */
export interface Retired<T> {
  value: T;
  watched?: Watched;
}

/** Unregister the streams operator/viewer token `tokenId` opened, and queue their feeds for closing. */
export function takeTokenWatchers(tx: Tx, tokenId: string): Watched | undefined {
  const hash = tokenHashOf(tx.sql, tokenId);
  return hash ? { hash, queued: queueClosings(tx, hash) } : undefined;
}

/** Unregister the streams factory `factoryId`'s current token opened, and queue their feeds for closing. */
export function takeFactoryWatchers(tx: Tx, factoryId: string): Watched | undefined {
  const hash = factoryTokenHashOf(tx.sql, factoryId);
  return hash ? { hash, queued: queueClosings(tx, hash) } : undefined;
}
