/**
 * @module durable-objects/coordinator/access/credentials
 * Credentials issued and retired, each the body of one audited coordinator unit: operator and viewer tokens,
 * enrollment codes, factory tokens. Retiring a credential also unregisters the feed streams it opened
 * (coordinator/access/feed-readers) and returns them, so the coordinator closes them once the unit has committed — a
 * credential that no longer authenticates must not keep a stream open.
 */
import { DomainError } from "../../../core/errors.ts";
import type { Factory } from "../../../core/model.ts";
import { requeueHeldBy } from "../dispatch/forced-loss.ts";
import { setFactoryToken } from "../factories/link-ends.ts";
import { requireFactory } from "../factories/registry.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { forgetFactory } from "../policies/breakers.ts";
import { forgetFactoryRouting } from "../policies/routing-changes.ts";
import { getMeta, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import {
  type CodeGrant,
  type EnrollmentCodeInfo,
  type EnrollmentCodeRevoked,
  mintEnrollmentCode,
  revokeCodesMintedBy,
  revokeEnrollmentCode,
} from "./enrollment.ts";
import { type Retired, takeFactoryWatchers, takeTokenWatchers } from "./feed-readers.ts";
import { assertTokenLive, mintToken, revokeToken, type TokenInfo, type TokenRole } from "./tokens.ts";

/** A new operator/viewer token stored under `hash` (the Worker shows the token itself once). */
export function issueToken(tx: Tx, role: TokenRole, name: string, hash: string, actor: string): TokenInfo {
  const info = mintToken(tx, role, name, hash);
  enqueueAudit(tx, actor, "token.mint", info.id, { role, name });
  return info;
}

/**
 * Token `id` revoked, with the streams it opened and the enrollment codes it minted that could still be exchanged
 * (access/enrollment `revokeCodesMintedBy`: counted in the audit entry when there were any). A token revoked already
 * is a no-op (its first `revokedAt` answered): nothing is swept or audited again — a retried revoke wrote a second
 * `token.revoke` entry, as if the token had been revoked twice.
 * @throws NotFoundError — no such token.
 */
export function retireToken(tx: Tx, id: string, actor: string): Retired<TokenInfo> {
  const { token: value, changed } = revokeToken(tx, id);
  if (!changed) return { value };
  const watched = takeTokenWatchers(tx, id);
  const enrollmentCodesRevoked = revokeCodesMintedBy(tx, id);
  enqueueAudit(tx, actor, "token.revoke", id, enrollmentCodesRevoked > 0 ? { enrollmentCodesRevoked } : undefined);
  return { value, watched };
}

/**
 * A one-time enrollment code stored under `hash`, live for `ttlSeconds` (coordinator/access/enrollment), minted with
 * operator token `mintedByToken` when one asked (it is revoked with that token).
 * @throws DomainError unauthorized — that token was revoked meanwhile.
 */
export function issueEnrollmentCode(
  tx: Tx,
  hash: string,
  ttlSeconds: number,
  actor: string,
  grant: CodeGrant = {},
  mintedByToken?: string,
): EnrollmentCodeInfo {
  const info = mintEnrollmentCode(tx, hash, ttlSeconds, actor, grant, mintedByToken);
  enqueueAudit(tx, actor, "factory.enrollment_code", info.id, { expiresAt: info.expiresAt, ...grant });
  return info;
}

/**
 * Enrollment code `id` revoked (coordinator/access/enrollment), audited like a token's revocation — a no-op too,
 * with the state it found. A code opens no stream, so there is nothing to close.
 * @throws NotFoundError — no such code.
 */
export function retireEnrollmentCode(tx: Tx, id: string, actor: string): EnrollmentCodeRevoked {
  const value = revokeEnrollmentCode(tx, id);
  enqueueAudit(tx, actor, "factory.enrollment_code.revoke", id, { changed: value.changed, state: value.state });
  return value;
}

/**
 * Factory `factoryId` authenticates with `newHash` from now on; the streams its old token opened are returned, and
 * the connections it opened end (factories/link-ends `setFactoryToken`). `byToken`: the operator token asking, if one
 * did — it must still be live (access/tokens `assertTokenLive`), or the new factory token would be its holder's.
 * `live`: a greeted socket of it is open now (its link's end is timed now; else it went unseen, with a restart).
 * @throws NotFoundError — no such factory; DomainError conflict — the factory is revoked (enroll it again);
 *   unauthorized — `byToken` was revoked meanwhile (the old factory token stays).
 */
export function rotateFactoryToken(
  tx: Tx,
  factoryId: string,
  newHash: string,
  actor: string,
  byToken?: string,
  live = true,
): Retired<Factory> {
  assertTokenLive(tx.sql, byToken, "rotating this factory's token");
  const f = requireFactory(tx.sql, factoryId, tx.now);
  if (f.status === "revoked") throw new DomainError("conflict", `factory ${factoryId} is revoked; enroll it again`);
  const watched = takeFactoryWatchers(tx, factoryId);
  enqueueAudit(tx, actor, "factory.token.rotate", factoryId);
  return { value: setFactoryToken(tx, factoryId, newHash, undefined, live), watched };
}

/**
 * Factory `factoryId` loses its token and is marked revoked; the jobs it held are requeued, its breakers and
 * error window forgotten with their alerts resolved (it never runs again: it enrolls anew), what learned routing kept
 * about it dropped (policies/routing-changes `forgetFactoryRouting`), and the streams its token opened are returned.
 * A factory revoked already is answered as it is, `changed: false`, with nothing written or audited again (its
 * revocation did all that, and nothing can act for it since). `live`: as `rotateFactoryToken`'s.
 * @throws NotFoundError — no such factory.
 */
export function retireFactoryToken(
  tx: Tx,
  factoryId: string,
  actor: string,
  live = true,
): Retired<Factory & { changed: boolean }> {
  const f = requireFactory(tx.sql, factoryId, tx.now);
  if (f.status === "revoked") return { value: { ...f, changed: false } };
  const watched = takeFactoryWatchers(tx, factoryId);
  const requeued = requeueHeldBy(tx, factoryId, "factory token revoked", "revoked");
  forgetFactory(tx, factoryId);
  // Learned routing forgets it too: its records, the rules naming it, the experiments it changes (as deregister).
  const forgotten = forgetFactoryRouting(tx, factoryId, actor, "revoked");
  enqueueAudit(tx, actor, "factory.token.revoke", factoryId, { requeued, ...forgotten });
  return { value: { ...setFactoryToken(tx, factoryId, null, "revoked", live), changed: true }, watched };
}

/** The `meta` key that says `product.create` is in this product's audit trail. */
const CREATION_AUDITED = "product_creation_audited";

/** `product.create` enqueued (actor: the admin, the only one who creates products) unless it was already. */
export function auditProductCreation(tx: Tx, createdAt: number): { audited: boolean } {
  if (getMeta(tx.sql, CREATION_AUDITED) !== undefined) return { audited: false };
  setMeta(tx.sql, CREATION_AUDITED, String(createdAt));
  enqueueAudit(tx, "admin", "product.create", tx.productId, { createdAt });
  return { audited: true };
}
