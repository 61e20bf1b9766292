/**
 * @module durable-objects/coordinator/access/enrollment
 * One-time enrollment codes: an operator mints a short-lived code, the agent on
 * the host exchanges it for its factory token. The long-lived token is then
 * created on, and only ever seen by, the host that uses it. A code works once;
 * used codes, and codes an hour past their expiry, are deleted by the cron's
 * retention pass (coordinator/jobs/retention), so the table holds only live codes.
 */
import { DomainError } from "../../../core/errors.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";

export interface EnrollmentCodeInfo {
  id: string;
  createdAt: number;
  expiresAt: number;
  /** The host name the code enrolls, when the operator named it: another name is refused. */
  name?: string;
  /** The most seats the code grants, when the operator set it: a host asking for more gets this many. */
  seats?: number;
}

/** What an operator binds a code to when minting it (`POST …/factories/enrollment-codes`). */
export interface CodeGrant {
  name?: string;
  seats?: number;
}

export function mintEnrollmentCode(
  tx: Tx,
  hash: string,
  ttlSeconds: number,
  grant: CodeGrant = {},
): EnrollmentCodeInfo {
  const info: EnrollmentCodeInfo = {
    id: newId("enr", tx.now),
    createdAt: tx.now,
    expiresAt: tx.now + ttlSeconds * 1000,
    ...grant,
  };
  execute(
    tx.sql,
    "INSERT INTO enrollment_codes(id, code_hash, created_at, expires_at, name, seat_limit) VALUES (?, ?, ?, ?, ?, ?)",
    info.id,
    hash,
    info.createdAt,
    info.expiresAt,
    grant.name ?? null,
    grant.seats ?? null,
  );
  return info;
}

export function liveEnrollmentCode(sql: SqlStorage, hash: string, now: number): { id: string } | undefined {
  return one<{ id: string }>(
    sql,
    "SELECT id FROM enrollment_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
    hash,
    now,
  );
}

/**
 * Use the code up, inside the same unit that creates the factory, and bind the enrollment to what the operator
 * minted it for: `input` as the host asked, returned with its seats capped by the code's.
 * @throws DomainError unauthorized — unknown, expired or used; forbidden — the code names another host
 */
export function consumeEnrollmentCode<T extends { name: string; seats: number }>(tx: Tx, hash: string, input: T): T {
  const code = one<{ id: string; name: string | null; seat_limit: number | null }>(
    tx.sql,
    "SELECT id, name, seat_limit FROM enrollment_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
    hash,
    tx.now,
  );
  if (!code) throw new DomainError("unauthorized", "enrollment code is unknown, expired or already used");
  if (code.name !== null && code.name !== input.name) {
    // Refused before it is used up: the operator's host can still redeem it. Without naming that host, so a stolen
    // code does not tell its holder the one name that would redeem it.
    throw new DomainError("forbidden", `this enrollment code is bound to another host name than ${input.name}`);
  }
  execute(tx.sql, "UPDATE enrollment_codes SET used_at = ? WHERE id = ?", tx.now, code.id);
  return code.seat_limit === null ? input : { ...input, seats: Math.min(input.seats, code.seat_limit) };
}

/**
 * The columns that bind a code to its operator's grant (`name`, `seat_limit`), added to the table runtime/schema
 * creates: for a new coordinator and for one whose table predates them alike (NULL: not bound, as codes were).
 */
export function applyEnrollmentCodeColumns(sql: SqlStorage): void {
  const cols = columnsOf(sql, "enrollment_codes");
  if (!cols.has("name")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN name TEXT");
  if (!cols.has("seat_limit")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN seat_limit INTEGER");
}
