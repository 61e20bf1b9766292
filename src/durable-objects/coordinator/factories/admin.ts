/**
 * @module durable-objects/coordinator/factories/admin
 * A factory's record changed over HTTP, each the body of one coordinator unit: enrolled, heartbeat (declared
 * capabilities and seats, answered with the leases it holds), grant approved, status set, deregistered. What
 * an operator does is audited; what follows the commit (pushing work, telling the factory's sockets) is the
 * coordinator's part.
 */
import { DomainError } from "../../../core/errors.ts";
import type { Factory } from "../../../core/model.ts";
import { consumeEnrollmentCode } from "../access/enrollment.ts";
import { type CodeUse, recordExchange, resumeEnrollment } from "../access/enrollment-resume.ts";
import { type Retired, takeFactoryWatchers } from "../access/feed-readers.ts";
import { assertTokenLive } from "../access/tokens.ts";
import { requeueHeldBy } from "../dispatch/forced-loss.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { forgetFactory } from "../policies/breakers.ts";
import { releaseFactory } from "../policies/quarantine.ts";
import { forgetFactoryRouting } from "../policies/routing-changes.ts";
import { queueVersion } from "../runtime/meta.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";
import { approveGrant, declareFactory } from "./grants.ts";
import { deleteFactory, requireFactory, type StoredFactory, storeFactory, updateFactory } from "./registry.ts";
import { operatorStatusReason } from "./standing.ts";

export interface EnrollInput {
  name: string;
  capabilities: string[];
  seats: number;
}

/**
 * Who asks for an enrollment, besides the admin: an agent with a one-time code (and the SHA-256 of the nonce it
 * sent, if any: access/enrollment-resume), or an operator with a token.
 */
export type EnrolledBy = CodeUse | { tokenId: string };

/**
 * A new factory authenticating with `tokenHash`. `by.codeHash`: the enrollment code is used up in the same unit;
 * `by.tokenId`: the operator token asking must still be live (access/tokens `assertTokenLive`) — else its
 * revocation, committed after the Worker authenticated it, left its holder a new long-lived factory token.
 * A code sent again with the nonce of its first exchange resumes it instead (access/enrollment-resume
 * `resumeEnrollment`): that factory, `resumed`, with `tokenHash` as its new token.
 * @throws DomainError unauthorized — the code is unknown, expired or used (and not resumable), or the operator token
 *   was revoked meanwhile (nothing enrolled); conflict — the name is taken.
 */
export function enroll(
  tx: Tx,
  input: EnrollInput,
  tokenHash: string,
  actor: string,
  by?: EnrolledBy,
): Factory & { resumed?: true } {
  if (by && "tokenId" in by) assertTokenLive(tx.sql, by.tokenId, "enrolling this factory");
  // The code sent again with its first exchange's nonce: that factory, with a new token (access/enrollment-resume).
  const resumed = by && "codeHash" in by ? resumeEnrollment(tx, by, input.name, tokenHash, actor) : undefined;
  if (resumed) return resumed;
  // A code binds what its operator minted it for (a host name, a seat cap): access/enrollment.
  const granted = by && "codeHash" in by ? consumeEnrollmentCode(tx, by.codeHash, input) : input;
  const f = enrollFactory(tx, granted, tokenHash);
  if (by && "codeHash" in by) recordExchange(tx, by, f.id, tokenHash);
  // Enrolling is granting: the trail says what (as approved, deduplicated, and the seats after a code's cap).
  const grant = { capabilities: f.approvedCapabilities ?? f.capabilities, seatLimit: f.seatLimit ?? f.seats };
  enqueueAudit(tx, actor, "factory.enroll", f.id, { name: f.name, ...grant });
  return f;
}

/**
 * The factory beat: what it declares counts only within its grant (factories/grants); it learns which leases it
 * holds — `{jobId, leaseEpoch, expiresAt (ms epoch), ttlSeconds}` each. Only references: an HTTP poller resumes no
 * engine from a beat (the `welcome` of a socket does, and carries the whole assignment), so the lessons, allowance
 * and spend a resumed engine needs are not read here, once per lease per beat.
 */
/** What a factory's heartbeat may declare: its capabilities, its seats. */
export type HeartbeatInput = { capabilities?: string[]; seats?: number };

export function heartbeat(tx: Tx, factoryId: string, body: HeartbeatInput, onSocket = false) {
  // Over HTTP (`polledAt`): a factory whose socket ended polls now, and reads connected while it does (core/factory-link).
  // One whose socket is open here (`onSocket`) only declares (agent/engine-offer): a beat, not a poll (registry httpBeat).
  const polled = onSocket ? {} : { polledAt: tx.now };
  const factory: Factory = declareFactory(tx, factoryId, body, { lastHeartbeatAt: tx.now, ...polled });
  const leases = tx.sql
    .exec<{ jobId: string; leaseEpoch: number; expiresAt: number }>(
      `SELECT id AS jobId, lease_epoch AS leaseEpoch, lease_expires_at AS expiresAt FROM jobs
       WHERE holder_factory_id = ? AND stage IN ('assigned', 'building') AND lease_expires_at > ? ORDER BY id`,
      factoryId,
      tx.now,
    )
    .toArray()
    .map((l) => ({ ...l, ttlSeconds: Math.max(1, Math.ceil((l.expiresAt - tx.now) / 1000)) }));
  return { factory, queueVersion: queueVersion(tx.sql), leases };
}

/**
 * An operator approves declared capabilities (all pending when none are named) and/or sets the seat limit. Nothing
 * pending and no new limit: nothing written or audited, `changed: false` (a retried approve is still a 200).
 * @throws DomainError conflict — a named capability was never declared (factories/grants `approveGrant`).
 */
export function approveFactoryGrant(
  tx: Tx,
  factoryId: string,
  req: { capabilities?: string[]; seatLimit?: number },
  actor: string,
): Factory & { changed: boolean } {
  const { factory, approved, changed } = approveGrant(tx, factoryId, req);
  if (!changed) return { ...factory, changed };
  enqueueAudit(tx, actor, "factory.grant.approve", factoryId, {
    capabilities: approved,
    ...(req.seatLimit !== undefined ? { seatLimit: req.seatLimit } : {}),
  });
  return { ...factory, changed };
}

export type AdminStatus = "active" | "draining" | "quarantined";

/**
 * An operator sets the factory's status. Leaving `quarantined` this way is a release (policies/quarantine
 * `releaseFactory`: error window cleared, `factory_quarantined` resolved, audited `factory.release`), as
 * `POST …/release` is: otherwise the old failures would quarantine it again at the next one, under an alert
 * that was never resolved and so sends no new webhook. The status it has already (a second drain or quarantine, an
 * activate of an active factory) is a no-op, `changed: false`: nothing written or audited, the first change's
 * `statusReason` kept — a second quarantine had re-audited it and replaced the error budget's reason with the
 * operator's, and re-sent its agent a `drain`.
 * @throws NotFoundError — no such factory; DomainError conflict — the factory is revoked.
 */
export function setFactoryStatus(
  tx: Tx,
  factoryId: string,
  status: AdminStatus,
  actor: string,
): Factory & { changed: boolean } {
  const f = requireFactory(tx.sql, factoryId, tx.now);
  if (f.status === "revoked") throw new DomainError("conflict", `factory ${factoryId} is revoked`);
  if (f.status === status) return { ...f, changed: false };
  // Why, kept for the factory's next `welcome`: an agent that connects after the `drain` hears it then.
  const change = status === "active" ? { status } : { status, statusReason: operatorStatusReason(status, actor) };
  if (f.status === "quarantined" && status !== "quarantined") {
    // Released into `status` in one write of the record (released to active, then drained, was two).
    const released = releaseFactory(tx, factoryId, actor, change);
    if (status !== "active") enqueueAudit(tx, actor, `factory.${status}`, factoryId);
    return { ...released, changed: true };
  }
  enqueueAudit(tx, actor, `factory.${status}`, factoryId);
  return { ...updateFactory(tx, factoryId, change), changed: true };
}

/**
 * `POST …/release`: a quarantined factory released (policies/quarantine `releaseFactory`), `changed: true`; an active
 * one is already what a release makes it — a no-op, `changed: false`, nothing written or audited (a second release,
 * or one racing another operator's, was a 409 with a generic fix where the other no-ops say "already so").
 * @throws NotFoundError — no such factory; DomainError conflict — it is draining or revoked (`factoryStatus`): a
 *   release would not make it active, `activate` (or an enrollment) does.
 */
export function releaseQuarantined(tx: Tx, factoryId: string, actor: string): Factory & { changed: boolean } {
  const f = requireFactory(tx.sql, factoryId, tx.now);
  if (f.status === "active") return { ...f, changed: false };
  return { ...releaseFactory(tx, factoryId, actor), changed: true };
}

/**
 * The factory is removed: the jobs it held are requeued, and the streams its token opened are returned.
 * @throws NotFoundError — no such factory.
 */
export function deregister(tx: Tx, factoryId: string, actor: string): Retired<{ requeued: number }> {
  requireFactory(tx.sql, factoryId, tx.now);
  const watched = takeFactoryWatchers(tx, factoryId);
  const requeued = requeueHeldBy(tx, factoryId, "factory deregistered", "deregistered");
  deleteFactory(tx, factoryId);
  forgetFactory(tx, factoryId); // its breakers and error window, and the alerts they raised
  const forgotten = forgetFactoryRouting(tx, factoryId, actor, "deregistered");
  enqueueAudit(tx, actor, "factory.deregister", factoryId, { requeued, ...forgotten });
  return { value: { requeued }, watched };
}

/** A new factory record, active, its grant what it enrolled with. @throws DomainError conflict — the name is taken. */
function enrollFactory(
  tx: Tx,
  input: { name: string; capabilities: string[]; seats: number },
  tokenHash: string,
): Factory {
  const taken = one(tx.sql, "SELECT id FROM factories WHERE name = ? AND status != 'revoked'", input.name);
  if (taken) {
    throw new DomainError("conflict", `a factory named ${input.name} is already enrolled; deregister it first`, {
      name: input.name,
    });
  }
  const f: StoredFactory = {
    id: newId("fac", tx.now),
    productId: tx.productId,
    name: input.name,
    capabilities: [...new Set(input.capabilities)].sort(),
    // Enrollment is the grant: what the factory declares later is routed on only within it.
    approvedCapabilities: [...new Set(input.capabilities)].sort(),
    pendingCapabilities: [],
    seats: input.seats,
    seatLimit: input.seats,
    status: "active",
    createdAt: tx.now,
  };
  storeFactory(tx.sql, f, tokenHash);
  return requireFactory(tx.sql, f.id, tx.now);
}
