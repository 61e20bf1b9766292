/**
 * @module durable-objects/coordinator/access/enrollment-resume
 * An enrollment whose answer the agent lost. The code is spent in the unit that creates the factory, and the token
 * exists only in that answer (only its hash is kept): an agent killed -9 after the exchange and before its config
 * was written left a factory no one could ever connect as — the operator had to `factory rm` it and mint a new code.
 *
 * So the agent sends a client nonce with the code (`EnrollBody.nonce`: random, written to its state dir before the
 * request). The first exchange records it here, as a SHA-256 hash, with the factory it created and that factory's
 * token hash. The same code sent again with the same nonce, within an hour of that exchange (and never past the
 * code's own expiry), re-issues that factory's token: a new token is minted, its hash replaces the old one (the old
 * token, if anyone has it, stops working), the audit log records `factory.enroll.resume`, and the answer is the
 * first one's with `resumed: true`.
 *
 * Safety: the nonce is the secret that binds the second call to the first caller — the spent code alone (leaked
 * after use: pasted in a chat, read from shell history) gets the same 401 as before, with the same words. Hashes are
 * compared, never the nonce itself, so the comparison's timing tells nothing of it. A re-issue is refused once the
 * factory has ever connected or beaten with its token (its config WAS written: it never needs this, and a re-issue
 * would cut off a working agent), once an operator rotated or revoked its token or deregistered it, and once the
 * operator token that minted the code is revoked (as its live codes are: access/enrollment `revokeCodesMintedBy`).
 *
 * The records outlive their code's row (the cron's retention deletes used codes: coordinator/jobs/retention), so
 * they live in their own table, pruned of records past their window by every exchange that writes one: it holds at
 * most the nonce-bearing exchanges of the hour before the latest one.
 */
import { DomainError } from "../../../core/errors.ts";
import type { Factory } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { setFactoryToken } from "../factories/link-ends.ts";
import { readFactory, requireFactory } from "../factories/registry.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { one, type Tx } from "../runtime/tx.ts";

/** 1 h after its first exchange (and never past the code's expiry): how long a lost enrollment can be resumed, ms. */
export const RESUME_WINDOW_MS = 60 * 60_000;

/** The table of resumable exchanges: one row per code exchanged with a nonce, keyed by the code's hash. */
export const ENROLLMENT_RESUMES_SQL = `
CREATE TABLE IF NOT EXISTS enrollment_resumes (
  code_hash TEXT PRIMARY KEY,
  code_id TEXT NOT NULL,
  nonce_hash TEXT NOT NULL,
  factory_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  minted_by_token TEXT,
  resumable_until INTEGER NOT NULL
);`;

/**
 * The refusal of a spent code without its first caller's nonce: the Worker's words for a spent code (worker/products
 * `unknownToken`), so a second holder of a leaked code learns nothing it did not before.
 */
const spent = () =>
  new DomainError(
    "unauthorized",
    "enrollment code is not recognised: it was used already, has expired or was revoked, or it is mistyped",
  );

/** What the agent sends with a code: its hash and, when it sent one, its nonce's SHA-256 (hex). */
export interface CodeUse {
  codeHash: string;
  nonceHash?: string;
}

/**
 * Code `hash`, spent, whose exchange can still be resumed at `now` (ms): its id, for the Worker's principal
 * (access/tokens `authenticate`, after the live codes) — the nonce is checked by the exchange (`resumeEnrollment`).
 */
export function resumableCode(sql: SqlStorage, hash: string, now: number): { id: string } | undefined {
  return one<{ id: string }>(
    sql,
    "SELECT code_id AS id FROM enrollment_resumes WHERE code_hash = ? AND resumable_until > ?",
    hash,
    now,
  );
}

/**
 * In the unit that spent code `use.codeHash` and enrolled factory `factoryId` with `tokenHash`: the exchange is
 * recorded as resumable when the agent sent a nonce (nothing is written otherwise); records past their window go.
 */
export function recordExchange(tx: Tx, use: CodeUse, factoryId: string, tokenHash: string): void {
  if (use.nonceHash === undefined) return;
  const code = one<{ id: string; expires_at: number; minted_by_token: string | null }>(
    tx.sql,
    "SELECT id, expires_at, minted_by_token FROM enrollment_codes WHERE code_hash = ?",
    use.codeHash,
  );
  if (!code) return; // not reached: the code was read in this very unit
  execute(tx.sql, "DELETE FROM enrollment_resumes WHERE resumable_until <= ?", tx.now);
  execute(
    tx.sql,
    `INSERT OR REPLACE INTO enrollment_resumes(code_hash, code_id, nonce_hash, factory_id, token_hash, minted_by_token,
       resumable_until) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    use.codeHash,
    code.id,
    use.nonceHash,
    factoryId,
    tokenHash,
    code.minted_by_token,
    Math.min(code.expires_at, tx.now + RESUME_WINDOW_MS),
  );
}

/**
 * Code `use.codeHash` sent again: undefined when it was never exchanged with a nonce, or its window has passed (the
 * exchange goes on as any: a live code enrolls, a spent one is refused). Else, with the same nonce, the factory that
 * exchange enrolled gets `tokenHash` as its token (audited `factory.enroll.resume` by `actor`) and is returned.
 * @throws DomainError unauthorized — another nonce or none (the Worker's words for a spent code); the factory was
 *   deregistered, revoked or its token rotated since, or it has connected with its token, or the operator token that
 *   minted the code was revoked: nothing changed. forbidden — `name` is not the name that exchange enrolled (named).
 */
export function resumeEnrollment(tx: Tx, use: CodeUse, name: string, tokenHash: string, actor: string) {
  const row = one<{
    code_id: string;
    nonce_hash: string;
    factory_id: string;
    token_hash: string;
    minted_by_token: string | null;
  }>(
    tx.sql,
    `SELECT code_id, nonce_hash, factory_id, token_hash, minted_by_token FROM enrollment_resumes
     WHERE code_hash = ? AND resumable_until > ?`,
    use.codeHash,
    tx.now,
  );
  if (!row) return undefined;
  // Hashes compared, never the nonce: equal-length hex, whose comparison time tells nothing of the nonce.
  if (use.nonceHash === undefined || use.nonceHash !== row.nonce_hash) throw spent();
  const f = readFactory(tx.sql, row.factory_id);
  const current = one<{ token_hash: string | null }>(
    tx.sql,
    "SELECT token_hash FROM factories WHERE id = ?",
    row.factory_id,
  );
  const cannot = (why: string, fix: string) =>
    new DomainError("unauthorized", `this code's enrollment cannot be resumed: ${why}; nothing was changed; ${fix}`);
  const anew = `an operator deregisters it (gigafactory factory rm ${f?.name ?? name}) and gives a new code`;
  if (!f || f.status === "revoked")
    throw cannot("the factory it enrolled was deregistered or revoked since", "ask an operator for a new code");
  // Named: the nonce proved this is the host that sent the code first, so the name tells no one else anything.
  if (f.name !== name)
    throw new DomainError(
      "forbidden",
      `this code enrolled ${f.name}, not ${name}: resume that enrollment with --name ${f.name}`,
    );
  if (
    row.minted_by_token !== null &&
    !one(tx.sql, "SELECT 1 AS x FROM tokens WHERE id = ? AND revoked_at IS NULL", row.minted_by_token)
  )
    throw cannot("the operator token that minted the code was revoked", anew);
  if (f.connection !== undefined || f.lastHeartbeatAt !== undefined)
    throw cannot(
      `${f.name} has connected with its token since: its config was saved somewhere`,
      `start the agent that holds it, or ${anew}`,
    );
  if (current?.token_hash !== row.token_hash)
    throw cannot(
      `${f.name}'s token was rotated or revoked since`,
      `store the token an operator gives you (enroll --token), or ${anew}`,
    );
  setFactoryToken(tx, f.id, tokenHash);
  // A second crash can resume again, with the token this answer carries.
  execute(tx.sql, "UPDATE enrollment_resumes SET token_hash = ? WHERE code_hash = ?", tokenHash, use.codeHash);
  enqueueAudit(tx, actor, "factory.enroll.resume", f.id, { name: f.name, codeId: row.code_id });
  const factory: Factory & { resumed: true } = { ...requireFactory(tx.sql, f.id, tx.now), resumed: true };
  return factory;
}
