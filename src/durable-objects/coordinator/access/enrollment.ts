/**
 * @module durable-objects/coordinator/access/enrollment
 * One-time enrollment codes: an operator mints a short-lived code, the agent on
 * the host exchanges it for its factory token. The long-lived token is then
 * created on, and only ever seen by, the host that uses it. A code works once;
 * used codes, and codes an hour past their expiry, are deleted by the cron's
 * retention pass (coordinator/jobs/retention), so the table holds only live codes.
 */
import { DomainError } from "../../../core/errors.ts";
import { execute } from "../../sql-statements.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";

export interface EnrollmentCodeInfo {
  id: string;
  createdAt: number;
  expiresAt: number;
}

export function mintEnrollmentCode(tx: Tx, hash: string, ttlSeconds: number): EnrollmentCodeInfo {
  const info = { id: newId("enr", tx.now), createdAt: tx.now, expiresAt: tx.now + ttlSeconds * 1000 };
  execute(
    tx.sql,
    "INSERT INTO enrollment_codes(id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
    info.id,
    hash,
    info.createdAt,
    info.expiresAt,
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

/** Use the code up, inside the same unit that creates the factory. */
export function consumeEnrollmentCode(tx: Tx, hash: string): void {
  const code = liveEnrollmentCode(tx.sql, hash, tx.now);
  if (!code) throw new DomainError("unauthorized", "enrollment code is unknown, expired or already used");
  execute(tx.sql, "UPDATE enrollment_codes SET used_at = ? WHERE id = ?", tx.now, code.id);
}
