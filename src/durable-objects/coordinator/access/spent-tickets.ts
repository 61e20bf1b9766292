/**
 * @module durable-objects/coordinator/access/spent-tickets
 * Feed tickets (worker/tickets) are single-use: each one a stream opens with is recorded here, by the SHA-256 of its
 * signed payload (the ticket itself is never stored), until it expires, and a second use is refused. A ticket sits in
 * a URL, where a proxy, a browser history or a log can keep it; used once, the copy opens nothing. Rows live at most
 * the ticket's 60 s: each use first drops the expired ones (an indexed range delete), so the table holds only the last
 * minute's.
 */
import { DomainError } from "../../../core/errors.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";

/** The table, created with the coordinator's schema (runtime/schema `applySchema`). */
export const SPENT_TICKETS_SQL = `
CREATE TABLE IF NOT EXISTS spent_tickets (
  ticket_hash TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spent_tickets_by_expiry ON spent_tickets(expires_at);
`;

/** A verified ticket about to open a stream: its SHA-256 (hex) and its expiry (ms). */
export interface TicketUse {
  hash: string;
  expiresAt: number;
}

/**
 * Use ticket `use` up. Call inside the unit that registers the stream it opens.
 * @throws DomainError `unauthorized` when it was used before (or expired meanwhile).
 */
export function spendTicket(tx: Tx, use: TicketUse): void {
  execute(tx.sql, "DELETE FROM spent_tickets WHERE expires_at <= ?", tx.now);
  const refused = new DomainError("unauthorized", "feed ticket was already used or has expired; request a new one");
  if (use.expiresAt <= tx.now) throw refused;
  // A conflict writes nothing (0 rows); a new row counts its index entries too, so anything above 0 is "added".
  const sql = "INSERT INTO spent_tickets(ticket_hash, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING";
  if (execute(tx.sql, sql, use.hash, use.expiresAt) === 0) throw refused;
}

/**
 * Ticket `hash` opened no stream after all: the job's feed refused it (its watcher cap, a resume point past its log),
 * which only the feed can tell once the ticket is spent. Unspent, it opens one stream later, as a refusal the Worker
 * tells before spending it leaves it (worker/feed-access); still one stream at most per ticket.
 */
export function unspendTicket(tx: Tx, hash: string): void {
  execute(tx.sql, "DELETE FROM spent_tickets WHERE ticket_hash = ?", hash);
}
