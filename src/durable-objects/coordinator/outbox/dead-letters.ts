/**
 * @module durable-objects/coordinator/outbox/dead-letters
 * What the coordinator does with a record it cannot deliver after its last try
 * (outbox/retries) — or at once, one too large for any message: a dead letter in
 * its own SQLite (`dead_letters`), kept for the API, with an audit record and a console.error
 * line named `outbox.dead_letter` for the alerts to pick up. The same table
 * keeps dead-letter-queue messages the Worker could not write to D1, so a dead
 * letter is never dropped for want of a place to put it.
 */

import { OUTBOX_DEAD_LETTER_ALERT } from "../../../core/delivery-retry.ts";
import { execute, withLimit } from "../../sql-statements.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { forgetPending } from "./pending.ts";
import { enqueueAudit, type HistoryEntry, type OutboxRecord } from "./records.ts";

/** One dead letter: the D1 `dead_letters` row shape, `body` as JSON text (RPC-serializable as it is). */
export interface StoredDeadLetter {
  id: string;
  productId: string;
  source: string;
  reason: string;
  /** The record or message as JSON text. */
  body: string;
  attempts: number;
  at: number;
}

/** The actor named on audit records the coordinator writes about its own deliveries. */
const SYSTEM_ACTOR = "system:outbox";

/** Moves `r` out of the outbox into the dead letters, with an audit record and an alert line. */
export function deadLetterRecord(tx: Tx, r: OutboxRecord, reason: string, attempts: number): void {
  const body = JSON.stringify(r.body);
  keep(tx, { id: `outbox:${r.seq}`, source: `outbox:${r.kind}`, reason, body, attempts, at: tx.now });
  execute(tx.sql, "DELETE FROM outbox WHERE seq = ?", r.seq);
  forgetPending(tx.sql);
  execute(tx.sql, "DELETE FROM outbox_retries WHERE seq = ?", r.seq);
  // A unit's group of history records (outbox/history-groups) is judged by its records.
  const entries: Array<Exclude<OutboxRecord, { kind: "history" }> | HistoryEntry> = r.kind === "history" ? r.body : [r];
  // An audit about a dead letter that is itself undeliverable would chain for ever: that one is not audited again.
  const selfReport = entries.every((e) => e.kind === "audit" && e.body.action === OUTBOX_DEAD_LETTER_ALERT);
  // A lesson or audit record names no job: filed under its outbox seq, as is a group naming none first.
  const first = entries[0];
  const target =
    first && first.kind !== "audit" && first.kind !== "lesson" && typeof first.body.jobId === "string"
      ? first.body.jobId
      : `outbox:${r.seq}`;
  if (!selfReport)
    enqueueAudit(tx, SYSTEM_ACTOR, OUTBOX_DEAD_LETTER_ALERT, target, { seq: r.seq, kind: r.kind, attempts, reason });
  alert(tx.productId, `outbox:${r.kind}`, `id=outbox:${r.seq}`, reason);
}

/** How many of a call's dead letters its one audit record and alert line name by id (the rest are counted). */
export const DEAD_LETTER_IDS_NAMED = 10;

/**
 * Keeps dead letters the Worker could not write to D1 (its dead-letter-queue
 * consumer's fallback). Idempotent by id: one already kept is neither kept, audited nor alerted again — a message
 * the queue redelivers (its ack lost, or a sibling item unkept) comes back with the same ids, and had added an
 * `outbox.dead_letter` audit record and an alert line for the same dead letter on every delivery.
 * Audited and alerted once per call, not once per dead letter: the new ones' count, their sources and the first
 * DEAD_LETTER_IDS_NAMED ids, and the first one's reason (each dead letter keeps its own, listed by the API). One each
 * had been 2,600 audit records — each a history row and an outbox record — and 2,600 alert lines for one refused
 * bulk message while D1 was down.
 * @returns how many of `items` were new
 */
export function keepDeadLetters(tx: Tx, items: readonly Omit<StoredDeadLetter, "productId">[]): number {
  const added = items.filter((d) => keep(tx, d));
  const [first] = added;
  if (!first) return 0;
  const ids = added.slice(0, DEAD_LETTER_IDS_NAMED).map((d) => d.id);
  const sources = [...new Set(added.map((d) => d.source))].sort();
  const detail = { count: added.length, ids, sources, source: first.source, reason: first.reason };
  enqueueAudit(tx, SYSTEM_ACTOR, OUTBOX_DEAD_LETTER_ALERT, first.id, detail);
  const more = added.length > ids.length ? `,+${added.length - ids.length} more` : "";
  const named = added.length === 1 ? `id=${first.id}` : `count=${added.length} ids=${ids.join(",")}${more}`;
  alert(tx.productId, sources.join(","), named, first.reason);
  return added.length;
}

/**
 * Characters of `body` one store puts in a page of `GET …/dead-letters`. A dead letter's body is up to a queue
 * message (128 KiB): 501 of them were 64 MiB, past the 32 MiB a Durable Object RPC may return, and the listing was a
 * 500 for good once a D1 outage had left that many here. 4 Mi characters (at most 8 MiB serialized) from each store
 * still pages at least 32 of the largest, and keeps the Worker's copy of a page far below its 128 MB.
 */
export const PAGE_BODY_CHARS = 4 * 1024 * 1024;

/** How many of a page's rows, newest first (their bodies' `chars`), fit `max` characters: at least one. */
export function rowsThatFit(chars: readonly number[], max = PAGE_BODY_CHARS): number {
  let fit = 0;
  for (let total = 0; fit < chars.length; fit++) {
    total += chars[fit] ?? 0;
    if (fit > 0 && total > max) break;
  }
  return fit;
}

/** A store's rows for one page; `cut`: it stopped short of `limit` at PAGE_BODY_CHARS, and more rows follow. */
export interface DeadLetterRows {
  items: StoredDeadLetter[];
  cut: boolean;
}

/**
 * Newest first — `at` down, then `id` down (SQLite's byte order), a total order however many share a millisecond —
 * at or after `since` (ms), and strictly after `after` (the last row of the page before) when given.
 * @returns at most `limit` rows, fewer (`cut`) once their bodies pass `maxChars` — always at least one
 */
export function listDeadLetters(
  sql: SqlStorage,
  productId: string,
  since: number,
  limit: number,
  after?: { at: number; id: string },
  maxChars = PAGE_BODY_CHARS,
): DeadLetterRows {
  const page = (columns: string, n: number) => {
    const head = `SELECT ${columns} FROM dead_letters WHERE at >= ?`;
    const order = "ORDER BY at DESC, id DESC LIMIT {limit}";
    const keyset = `${head} AND (at < ? OR (at = ? AND id < ?)) ${order}`;
    return after
      ? sql.exec(withLimit(keyset, n), since, after.at, after.at, after.id).toArray()
      : sql.exec(withLimit(`${head} ${order}`, n), since).toArray();
  };
  // The bodies' sizes first, then only the rows whose bodies fit: the rest are never read into memory. One
  // synchronous unit, so both reads see the same rows.
  const sizes = page("length(body) AS chars", limit) as Array<{ chars: number }>;
  const fit = rowsThatFit(
    sizes.map((r) => r.chars),
    maxChars,
  );
  type Row = { id: string; source: string; reason: string; body: string; attempts: number; at: number };
  const rows = fit > 0 ? (page("id, source, reason, body, attempts, at", fit) as Row[]) : [];
  return { items: rows.map((r) => ({ ...r, productId })), cut: fit < sizes.length };
}

/** Inserts `d` unless its id is kept already. @returns whether it was new */
function keep(tx: Tx, d: Omit<StoredDeadLetter, "productId">): boolean {
  // Asked rather than read off the INSERT's rowsWritten, which counts index entries too.
  if (one(tx.sql, "SELECT 1 AS k FROM dead_letters WHERE id = ?", d.id)) return false;
  execute(
    tx.sql,
    "INSERT OR IGNORE INTO dead_letters(id, source, reason, body, attempts, at) VALUES (?, ?, ?, ?, ?, ?)",
    d.id,
    d.source,
    d.reason,
    d.body,
    d.attempts,
    d.at,
  );
  return true;
}

/**
 * The alert line: one greppable prefix and the same name the audit records carry. `named`: `id=<id>`, or for a call's
 * many, `count=<n> ids=<first ids>[,+<k> more]`.
 */
function alert(productId: string, source: string, named: string, reason: string): void {
  console.error(`ALERT ${OUTBOX_DEAD_LETTER_ALERT} product=${productId} source=${source} ${named}: ${reason}`);
}
