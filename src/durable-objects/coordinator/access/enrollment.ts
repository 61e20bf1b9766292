/**
 * @module durable-objects/coordinator/access/enrollment
 * One-time enrollment codes: an operator mints a short-lived code, the agent on
 * the host exchanges it for its factory token. The long-lived token is then
 * created on, and only ever seen by, the host that uses it. A code works once;
 * used codes, and codes an hour past their expiry, are deleted by the cron's
 * retention pass (coordinator/jobs/retention), so the table holds only live codes. An operator may revoke a code
 * before that (a code pasted into the wrong chat): a revoked code is refused like a used one, and pruned like one.
 * A code an operator token minted is that token's (`minted_by_token`): revoking the token revokes its live codes
 * (`revokeCodesMintedBy`), as it kills the feed tickets it asked for — else a leaked operator token, revoked, left
 * codes good for up to 7 days that its holder traded for a factory token afterwards.
 */
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import type { EnrollmentCodeListed, EnrollmentCodeRevoked } from "../../../shared/responses.ts";
import { columnsOf, execute } from "../../sql-statements.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";
import { ENROLLMENT_RESUMES_SQL, resumableCode } from "./enrollment-resume.ts";
import { assertTokenLive } from "./tokens.ts";

export interface EnrollmentCodeInfo {
  id: string;
  createdAt: number;
  expiresAt: number;
  /** The host name the code enrolls, when the operator named it: another name is refused. */
  name?: string;
  /** The most seats the code grants, when the operator set it: a host asking for more gets this many. */
  seats?: number;
}

export type { EnrollmentCodeListed, EnrollmentCodeRevoked };

/** A code that can still be exchanged: not used, not revoked, not expired (`now` in ms). */
const LIVE = "used_at IS NULL AND revoked_at IS NULL AND expires_at > ?";

/** What an operator binds a code to when minting it (`POST …/factories/enrollment-codes`). */
export interface CodeGrant {
  name?: string;
  seats?: number;
}

/**
 * The most codes that can be live (exchangeable) at once in a product. A code lives up to 7 days and nothing else
 * bounded them: every mint added one to the list an operator reads whole (`GET …/factories/enrollment-codes`, the
 * dashboard's Enrollment page) and to what a token's revocation sweeps in one unit (`revokeCodesMintedBy`), so an
 * operator token — a leaked one too — could grow both without limit. A fleet enrolls far fewer hosts at once than this.
 */
export const MAX_LIVE_CODES = 1000;

/**
 * A code stored under `hash`; `mintedByToken` is the id of the operator token that asked for it (none for the admin).
 * @throws DomainError unauthorized — that token was revoked after the Worker authenticated it: its revocation has
 *   already swept its codes, so one minted now would outlive it. DomainError limit_exceeded (429, `max`) —
 *   MAX_LIVE_CODES are live already: nothing is stored.
 */
export function mintEnrollmentCode(
  tx: Tx,
  hash: string,
  ttlSeconds: number,
  actor: string,
  grant: CodeGrant = {},
  mintedByToken?: string,
): EnrollmentCodeInfo {
  assertTokenLive(tx.sql, mintedByToken, "minting this code");
  const live = one<{ n: number }>(tx.sql, `SELECT COUNT(*) AS n FROM enrollment_codes WHERE ${LIVE}`, tx.now);
  if ((live?.n ?? 0) >= MAX_LIVE_CODES) {
    throw new DomainError(
      "limit_exceeded",
      `${MAX_LIVE_CODES} enrollment codes are live already, the most a product keeps; revoke unused ones ` +
        "(gigafactory enrollment-codes, then enrollment-codes revoke ID) or let them expire, then mint again",
      { max: MAX_LIVE_CODES },
    );
  }
  const info: EnrollmentCodeInfo = {
    id: newId("enr", tx.now),
    createdAt: tx.now,
    expiresAt: tx.now + ttlSeconds * 1000,
    ...grant,
  };
  execute(
    tx.sql,
    `INSERT INTO enrollment_codes(id, code_hash, created_at, expires_at, name, seat_limit, created_by, minted_by_token)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    info.id,
    hash,
    info.createdAt,
    info.expiresAt,
    grant.name ?? null,
    grant.seats ?? null,
    actor,
    mintedByToken ?? null,
  );
  return info;
}

/** The operator/viewer token `id`, unless revoked (access/tokens). */

/**
 * Every code token `tokenId` minted that can still be exchanged is revoked now, in the unit that revokes the token.
 * Only live codes are scanned (used and revoked ones are pruned by retention), so this stays small.
 * @returns how many were revoked
 */
export function revokeCodesMintedBy(tx: Tx, tokenId: string): number {
  // Rows returned, not `rowsWritten`, which would count index writes too.
  return tx.sql
    .exec(
      `UPDATE enrollment_codes SET revoked_at = ? WHERE minted_by_token = ? AND ${LIVE} RETURNING id`,
      tx.now,
      tokenId,
      tx.now,
    )
    .toArray().length;
}

/**
 * Code `hash` when it may be sent to the exchange at `now` (ms): live, or spent by an exchange that can still be
 * resumed with its nonce (access/enrollment-resume `resumableCode`: the exchange checks the nonce). Its id, and
 * `spent` for the latter: only the enroll route may take it (worker/auth `requireRole`) — anywhere else it is the
 * unknown code it was before resumes, so a spent code's holder cannot tell it was used within the hour.
 */
export function liveEnrollmentCode(
  sql: SqlStorage,
  hash: string,
  now: number,
): { id: string; spent?: true } | undefined {
  const live = one<{ id: string }>(sql, `SELECT id FROM enrollment_codes WHERE code_hash = ? AND ${LIVE}`, hash, now);
  if (live) return live;
  const spent = resumableCode(sql, hash, now);
  return spent ? { id: spent.id, spent: true } : undefined;
}

/**
 * Use the code up, inside the same unit that creates the factory, and bind the enrollment to what the operator
 * minted it for: `input` as the host asked, returned with its seats capped by the code's.
 * @throws DomainError unauthorized — unknown, expired, used or revoked; forbidden — the code names another host
 */
export function consumeEnrollmentCode<T extends { name: string; seats: number }>(tx: Tx, hash: string, input: T): T {
  const code = one<{ id: string; name: string | null; seat_limit: number | null }>(
    tx.sql,
    `SELECT id, name, seat_limit FROM enrollment_codes WHERE code_hash = ? AND ${LIVE}`,
    hash,
    tx.now,
  );
  if (!code) throw new DomainError("unauthorized", "enrollment code is unknown, expired, revoked or already used");
  if (code.name !== null && code.name !== input.name) {
    // Refused before it is used up: the operator's host can still redeem it. Without naming that host, so a stolen
    // code does not tell its holder the one name that would redeem it.
    throw new DomainError("forbidden", `this enrollment code is bound to another host name than ${input.name}`);
  }
  execute(tx.sql, "UPDATE enrollment_codes SET used_at = ? WHERE id = ?", tx.now, code.id);
  return code.seat_limit === null ? input : { ...input, seats: Math.min(input.seats, code.seat_limit) };
}

/** The codes that can still be exchanged, oldest first — never the code itself (only its hash is stored). */
export function listEnrollmentCodes(sql: SqlStorage, now: number): EnrollmentCodeListed[] {
  type Row = { id: string; created_at: number; expires_at: number; created_by: string | null };
  return sql
    .exec<Row & { name: string | null; seat_limit: number | null }>(
      `SELECT id, created_at, expires_at, created_by, name, seat_limit FROM enrollment_codes WHERE ${LIVE}
       ORDER BY created_at, id`,
      now,
    )
    .toArray()
    .map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      ...(r.created_by === null ? {} : { mintedBy: r.created_by }),
      ...(r.name === null ? {} : { name: r.name }),
      ...(r.seat_limit === null ? {} : { seats: r.seat_limit }),
    }));
}

/**
 * Code `id` can no longer be exchanged. In the coordinator's serialized unit, so an exchange either committed
 * before (the code reads `used`) or is refused after. Idempotent: a code already used, expired or revoked is left
 * as it is, `changed: false`.
 * @throws NotFoundError — no such code (never minted, or pruned by retention after use or expiry)
 */
export function revokeEnrollmentCode(tx: Tx, id: string): EnrollmentCodeRevoked {
  const row = one<{ used_at: number | null; revoked_at: number | null; expires_at: number }>(
    tx.sql,
    "SELECT used_at, revoked_at, expires_at FROM enrollment_codes WHERE id = ?",
    id,
  );
  if (!row) throw new NotFoundError("enrollment code", id);
  if (row.revoked_at !== null) return { id, changed: false, state: "revoked" };
  if (row.used_at !== null) return { id, changed: false, state: "used" };
  if (row.expires_at <= tx.now) return { id, changed: false, state: "expired" };
  execute(tx.sql, "UPDATE enrollment_codes SET revoked_at = ? WHERE id = ?", tx.now, id);
  return { id, changed: true, state: "revoked" };
}

/**
 * The columns that bind a code to its operator's grant (`name`, `seat_limit`), who minted it (`created_by`, and the
 * token it used: `minted_by_token`) and when an operator revoked it (`revoked_at`), added to the table runtime/schema creates: for a new coordinator and
 * for one whose table predates them alike (NULL: not bound, minter unrecorded, not revoked — as codes were).
 */
export function applyEnrollmentCodeColumns(sql: SqlStorage): void {
  const cols = columnsOf(sql, "enrollment_codes");
  if (!cols.has("name")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN name TEXT");
  if (!cols.has("seat_limit")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN seat_limit INTEGER");
  if (!cols.has("created_by")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN created_by TEXT");
  if (!cols.has("revoked_at")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN revoked_at INTEGER");
  // The operator token that minted it (`revokeCodesMintedBy`); NULL for the admin's codes, and for codes minted before
  // this column, which a token's revocation cannot name.
  if (!cols.has("minted_by_token")) execute(sql, "ALTER TABLE enrollment_codes ADD COLUMN minted_by_token TEXT");
  // Exchanges an agent that lost the answer can resume (access/enrollment-resume): their own table, as they outlive
  // their code's row.
  execute(sql, ENROLLMENT_RESUMES_SQL);
}
