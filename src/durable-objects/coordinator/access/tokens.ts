/**
 * @module durable-objects/coordinator/access/tokens
 * Product-scoped operator and viewer tokens, and the lookup that turns a token
 * hash into a principal. Only SHA-256 hashes are stored; the Worker hashes the
 * presented bearer token and asks here on every request, so a revocation or a
 * rotation takes effect on the very next request.
 */
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import type { Principal } from "../../../shared/coordinator-rpc.ts";
import type { TokenInfo, TokenRole } from "../../../shared/responses.ts";
import { execute } from "../../sql-statements.ts";
import { factoryByTokenHash } from "../factories/registry.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";
import { liveEnrollmentCode } from "./enrollment.ts";

export type { Principal, TokenInfo, TokenRole };

export function authenticate(sql: SqlStorage, hash: string, now: number): Principal | undefined {
  const t = one<{ id: string; role: TokenRole; name: string }>(
    sql,
    "SELECT id, role, name FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
    hash,
  );
  if (t) return { kind: "token", role: t.role, tokenId: t.id, name: t.name };
  const f = factoryByTokenHash(sql, hash);
  if (f) return { kind: "factory", factoryId: f.id, name: f.name };
  const code = liveEnrollmentCode(sql, hash, now);
  if (code) return { kind: "enrollment", codeId: code.id, ...(code.spent ? { spent: true as const } : {}) };
  return undefined;
}

export function mintToken(tx: Tx, role: TokenRole, name: string, hash: string): TokenInfo {
  const info: TokenInfo = { id: newId("tok", tx.now), role, name, createdAt: tx.now };
  execute(
    tx.sql,
    "INSERT INTO tokens(id, role, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    info.id,
    role,
    name,
    hash,
    tx.now,
  );
  return info;
}

/**
 * Token `id` revoked now, or found revoked already (`changed: false`: its first `revokedAt` is kept).
 * @throws NotFoundError — no such token.
 */
export function revokeToken(tx: Tx, id: string): { token: TokenInfo; changed: boolean } {
  const row = one<{ revoked_at: number | null }>(tx.sql, "SELECT revoked_at FROM tokens WHERE id = ?", id);
  if (!row) throw new NotFoundError("token", id);
  if (row.revoked_at === null) execute(tx.sql, "UPDATE tokens SET revoked_at = ? WHERE id = ?", tx.now, id);
  return { token: listTokens(tx.sql).find((t) => t.id === id)!, changed: row.revoked_at === null };
}

/**
 * Inside the unit of an operator write that leaves a credential behind (a factory token enrolled or rotated:
 * factories/admin, access/credentials; access/enrollment checks the codes it mints alike): the operator token
 * `tokenId` the Worker authenticated that request with is still live. The Worker asks a moment before the write
 * reaches this unit; a revocation that commits in between has already swept what the token left (its codes, its
 * streams) and would not see a credential made after it — one that outlives the revoked token in its holder's hands.
 * No `tokenId` (the admin's request) checks nothing.
 * @throws DomainError unauthorized — that token was revoked meanwhile (`doing`: what was refused, for the message).
 */
export function assertTokenLive(sql: SqlStorage, tokenId: string | undefined, doing: string): void {
  if (tokenId === undefined) return;
  if (one(sql, "SELECT 1 AS x FROM tokens WHERE id = ? AND revoked_at IS NULL", tokenId)) return;
  throw new DomainError("unauthorized", `the operator token ${doing} was revoked meanwhile; nothing was kept`);
}

/**
 * Who a write came from, as the Worker authenticated its request: "admin" (the deployment's token, in no table here;
 * also the Worker's own deliveries and tests, which act for the deployment), or the SHA-256 (hex) of the bearer token.
 */
export type Caller = "admin" | string;

/**
 * Inside the unit that commits a write: the credential `by` the Worker authenticated its request with is still live —
 * an operator/viewer token not revoked, a factory's current token (not rotated away, revoked or deregistered), an
 * enrollment code not expired. The Worker checks a moment before, when the request starts; a body still streaming
 * (an upload, a slow JSON body) reaches this unit later, and a revocation or rotation that committed in between must
 * refuse it, as it refuses anything new ("revoking or rotating a token refuses it at once": SPEC §4.8). Run in the
 * same synchronous unit as the write, it is serialised with the revocation: either the write commits first (and the
 * revocation sweeps what it left) or it is refused. "admin" checks nothing. Required of every write RPC (no default):
 * a route that forgot to pass its credential would not compile, where an optional one silently checked nothing.
 * @throws DomainError unauthorized — that credential was revoked or rotated meanwhile; nothing was kept.
 * @throws TypeError — no `by` at all (a call that bypassed the type): nothing is written.
 */
export function assertCallerLive(tx: Tx, by: Caller): void {
  // A caller typed past the signature (a cast, a stub typed by hand) that left it out fails loudly: it used to pass.
  if (typeof by !== "string") throw new TypeError("a write was asked for without its caller's credential");
  if (by === "admin") return;
  if (authenticate(tx.sql, by, tx.now)) return;
  throw new DomainError(
    "unauthorized",
    "the token behind this request was revoked or rotated meanwhile; nothing was kept",
  );
}

export function listTokens(sql: SqlStorage): TokenInfo[] {
  return sql
    .exec<{ id: string; role: TokenRole; name: string; created_at: number; revoked_at: number | null }>(
      "SELECT id, role, name, created_at, revoked_at FROM tokens ORDER BY created_at, id",
    )
    .toArray()
    .map((r) => ({
      id: r.id,
      role: r.role,
      name: r.name,
      createdAt: r.created_at,
      ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
    }));
}
