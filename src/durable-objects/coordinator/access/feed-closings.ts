/**
 * @module durable-objects/coordinator/access/feed-closings
 * REVOCATION FAN-OUT, bounded and resumable. A retired credential's feed streams are closed by one RPC to each job
 * feed it watched (feed/revocation `revokeStreams`), and a long-lived viewer token — the dashboard's — may have
 * watched thousands. Sent all at once from the one invocation that revoked it, the calls past Cloudflare's
 * per-invocation subrequest limit failed, a failure was only logged, and the revoked token's streams stayed open.
 *
 * So the unit that retires a credential moves its register rows (access/feed-readers) to `feed_closings`, due
 * HANDOFF_MS later; the call that retired it closes the first CLOSINGS_PER_ROUND of its own at once (a revocation
 * of a token that watched a few feeds still returns with their streams closed) and makes the rest due now; the
 * coordinator's alarm closes them, one page per invocation, back to back (runtime/alarm NEXT_DUE_SQL,
 * runtime/composition `alarm`). Should the retiring call die before its page, the alarm takes the whole backlog
 * over when the hand-off ends — the hand-off only keeps the two from telling the same feeds twice. A row goes once its feed
 * answered; one whose call failed is tried again after a back-off, MAX_TRIES times in all — a feed that never
 * answers is dropped with an error logged, its streams ending at the latest with that object (it also refuses them
 * on reconnect: the hash is kept in its storage).
 */
import { feedName } from "../../../shared/coordinator-rpc.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";

/** Feeds told per invocation: far under the subrequest limit (1,000; 50 on the free plan) with room left for the rest. */
export const CLOSINGS_PER_ROUND = 32;
/** How long the alarm leaves a fresh backlog to the call that retired the credential (it closes the first page). */
export const HANDOFF_MS = 5_000;
/** Calls to one feed before its row is dropped: a feed down for minutes ends its streams with its object anyway. */
const MAX_TRIES = 3;
/** First back-off after a failed call, doubled per try: a feed being reset is back within seconds. */
const RETRY_MS = 10_000;

/** The backlog (part of runtime/schema SCHEMA_SQL, through access/feed-readers), read by due time along its index. */
export const FEED_CLOSINGS_SQL = `
CREATE TABLE IF NOT EXISTS feed_closings (
  token_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  PRIMARY KEY (token_hash, job_id)
);
CREATE INDEX IF NOT EXISTS feed_closings_by_due ON feed_closings(due_at);
`;

/** When the next closing is due (the alarm's column, runtime/alarm): the smallest key of the index, one step. */
export const NEXT_CLOSING_SQL = "SELECT MIN(due_at) FROM feed_closings";

interface Closing extends Record<string, SqlStorageValue> {
  token_hash: string;
  job_id: string;
  tries: number;
}

/** Move the register rows of `tokenHash` to the backlog (in the retiring unit); returns how many it holds for it. */
export function queueClosings(tx: Tx, tokenHash: string): number {
  execute(
    tx.sql,
    `INSERT OR IGNORE INTO feed_closings(token_hash, job_id, tries, due_at)
       SELECT token_hash, job_id, 0, ? FROM feed_watchers WHERE token_hash = ?`,
    tx.now + HANDOFF_MS,
    tokenHash,
  );
  execute(tx.sql, "DELETE FROM feed_watchers WHERE token_hash = ?", tokenHash);
  const [row] = tx.sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM feed_closings WHERE token_hash = ?", tokenHash)
    .toArray();
  return row?.n ?? 0;
}

/** Whether a closing is due at `now` (the alarm then runs a round). */
export function closingsDue(sql: SqlStorage, now: number): boolean {
  return sql.exec("SELECT 1 FROM feed_closings WHERE due_at <= ? LIMIT 1", now).toArray().length > 0;
}

/** A page to close: `tokenHash`'s own (the retiring call, whatever their due time), else those due at `now`. */
function page(sql: SqlStorage, now: number, tokenHash?: string): Closing[] {
  const cols = "token_hash, job_id, tries";
  if (tokenHash !== undefined) {
    const own = `SELECT ${cols} FROM feed_closings WHERE token_hash = ? LIMIT ${CLOSINGS_PER_ROUND}`;
    return sql.exec<Closing>(own, tokenHash).toArray();
  }
  const due = `SELECT ${cols} FROM feed_closings WHERE due_at <= ? ORDER BY due_at LIMIT ${CLOSINGS_PER_ROUND}`;
  return sql.exec<Closing>(due, now).toArray();
}

/**
 * The answers of one round: answered rows go, failed ones back off (dropped after MAX_TRIES); after the retiring
 * call's round (`tokenHash`), the rest of its backlog is due now — the hand-off is over.
 */
function settleRound(tx: Tx, answered: readonly Closing[], failed: readonly Closing[], tokenHash?: string): void {
  const where = "WHERE token_hash = ? AND job_id = ?";
  for (const r of answered) execute(tx.sql, `DELETE FROM feed_closings ${where}`, r.token_hash, r.job_id);
  for (const r of failed) {
    if (r.tries + 1 >= MAX_TRIES) {
      console.error(`gave up closing revoked streams of feed ${r.job_id} after ${MAX_TRIES} tries`);
      execute(tx.sql, `DELETE FROM feed_closings ${where}`, r.token_hash, r.job_id);
    } else {
      const dueAt = tx.now + RETRY_MS * 2 ** r.tries;
      execute(tx.sql, `UPDATE feed_closings SET tries = tries + 1, due_at = ? ${where}`, dueAt, r.token_hash, r.job_id);
    }
  }
  if (tokenHash !== undefined) {
    const due = "UPDATE feed_closings SET due_at = MIN(due_at, ?) WHERE token_hash = ? AND tries = 0";
    execute(tx.sql, due, tx.now, tokenHash);
  }
}

/** What a round needs of the coordinator's units (runtime/units): a read, and a unit (whose commit keeps the alarm). */
export interface RoundUnits {
  transact<T>(fn: (tx: Tx) => T): T;
  run<T>(productId: string, fn: (tx: Tx) => T): Promise<unknown>;
}

/**
 * One round: tell a page of feeds (`tokenHash`'s own, or those due) to close that token's streams, and settle the
 * page in a unit, whose commit arms the alarm for what is left. Returns how many streams were closed.
 */
export async function closeFeedRound(env: Env, units: RoundUnits, productId: string, tokenHash?: string) {
  const rows = units.transact((tx) => page(tx.sql, tx.now, tokenHash));
  if (rows.length === 0) return 0;
  const results = await Promise.allSettled(
    rows.map((r) => env.JOB_FEED.getByName(feedName(productId, r.job_id)).revokeStreams(r.token_hash)),
  );
  let closed = 0;
  const answered: Closing[] = [];
  const failed: Closing[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === "fulfilled") {
      closed += r.value;
      answered.push(rows[i]!);
    } else {
      console.error("closing revoked feed streams failed", r.reason);
      failed.push(rows[i]!);
    }
  }
  await units.run(productId, (tx) => settleRound(tx, answered, failed, tokenHash));
  return closed;
}
