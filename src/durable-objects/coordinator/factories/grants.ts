/**
 * @module durable-objects/coordinator/factories/grants
 * What a factory declares (hello, heartbeat) against what it was granted (enrollment, operator approval):
 * the effective capabilities and seats the router uses are recomputed here and nowhere else
 * (rules in core/capability-grant).
 */
import { approvalOf, effectiveGrant, type Grant } from "../../../core/capability-grant.ts";
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import { grantChangeClearsExclusions } from "../../../core/exclusions.ts";
import type { Factory } from "../../../core/model.ts";
import { clearFactoryExclusions } from "../dispatch/exclusions.ts";
import type { Tx } from "../runtime/tx.ts";
import { readFactory, requireFactory, type StoredFactory, storeFactory } from "./registry.ts";

/** A factory stored before grants existed trusted its last declaration: that becomes its grant. */
function grantOf(f: StoredFactory): Grant {
  return {
    approved: f.approvedCapabilities ?? f.capabilities,
    declared: f.declaredCapabilities,
    seatLimit: f.seatLimit ?? f.seats,
    declaredSeats: f.declaredSeats,
  };
}

function regranted(f: StoredFactory, g: Grant): StoredFactory {
  const e = effectiveGrant(g);
  return {
    ...f,
    approvedCapabilities: [...new Set(g.approved)].sort(),
    ...(g.declared ? { declaredCapabilities: [...new Set(g.declared)].sort() } : {}),
    pendingCapabilities: e.pending,
    capabilities: e.capabilities,
    seatLimit: g.seatLimit,
    ...(g.declaredSeats !== undefined ? { declaredSeats: g.declaredSeats } : {}),
    seats: e.seats,
  };
}

function mustRead(tx: Tx, id: string): StoredFactory {
  const f = readFactory(tx.sql, id);
  if (!f) throw new NotFoundError("factory", id);
  return f;
}

/**
 * A factory declares what it has (`capabilities`, `seats`; either may be absent) along with other fields of
 * its record (heartbeat time, engines, connection). Declared capabilities beyond the grant become pending,
 * declared seats are capped at the seat limit. Returns the factory as the router now sees it.
 * @throws NotFoundError — no such factory (deregistered); DomainError unauthorized — the factory is revoked: a beat
 *   the Worker authenticated just before the revocation committed dated and re-declared the revoked record.
 */
export function declareFactory(
  tx: Tx,
  id: string,
  declared: { capabilities?: readonly string[]; seats?: number },
  other: Partial<Pick<StoredFactory, "lastHeartbeatAt" | "polledAt" | "engines" | "agentVersion" | "connection">> = {},
): Factory {
  const f = mustRead(tx, id);
  if (f.status === "revoked") throw new DomainError("unauthorized", `factory ${id} was revoked; enroll it again`);
  const g = grantOf(f);
  const next = regranted(
    { ...f, ...other, leftAt: undefined }, // it said hello: back, no longer left (core/departure)
    {
      ...g,
      ...(declared.capabilities ? { declared: declared.capabilities } : {}),
      ...(declared.seats !== undefined ? { declaredSeats: declared.seats } : {}),
    },
  );
  storeFactory(tx.sql, next);
  clearIfChanged(tx, f, next, "what the factory declared changed");
  return requireFactory(tx.sql, id, tx.now);
}

/** The seats `f` is granted and its limit, as `welcome` and `grant` frames tell its agent (which runs no more). */
export function seatGrant(f: Factory): { seats: number; seatLimit: number } {
  return { seats: f.seats, seatLimit: f.seatLimit ?? f.seats };
}

/**
 * What `welcome` tells the agent of its grant: `seatGrant`, and the capabilities it is routed on apart from those
 * awaiting approval — its log listed every declared one as if granted (an unapproved `cuda` among them).
 */
export function welcomeGrant(f: Factory): ReturnType<typeof seatGrant> & {
  capabilities: string[];
  pendingCapabilities: string[];
} {
  return { ...seatGrant(f), capabilities: f.capabilities, pendingCapabilities: f.pendingCapabilities ?? [] };
}

/** Exclusions end when what the factory offers changed (core/exclusions `grantChangeClearsExclusions`). */
function clearIfChanged(tx: Tx, before: StoredFactory, after: StoredFactory, why: string): void {
  const offered = (f: StoredFactory) => ({
    capabilities: f.capabilities,
    declared: f.declaredCapabilities,
    seats: f.seats,
  });
  if (grantChangeClearsExclusions(offered(before), offered(after))) clearFactoryExclusions(tx, after.id, why);
}

/**
 * An operator approves declared capabilities (all pending ones when `capabilities` is absent) and/or sets
 * the seat limit. Approving an already-approved capability is a no-op.
 * @throws DomainError conflict — a requested capability the factory never declared (nothing to approve), or the
 *   factory is revoked (it never runs again: a grant written to it was audited as if it would).
 */
export function approveGrant(tx: Tx, id: string, req: { capabilities?: readonly string[]; seatLimit?: number }) {
  const f = mustRead(tx, id);
  if (f.status === "revoked") throw new DomainError("conflict", `factory ${id} is revoked; enroll it again`);
  const g = grantOf(f);
  const { approve, undeclared } = approvalOf(g, req.capabilities);
  if (undeclared.length > 0) {
    throw new DomainError(
      "conflict",
      `factory ${id} has not declared ${undeclared.join(", ")}; enroll it again to grant other capabilities`,
      { factoryId: id, undeclared },
    );
  }
  // Nothing pending to approve and the same seat limit: a retried or idle approve writes nothing.
  if (approve.length === 0 && (req.seatLimit ?? g.seatLimit) === g.seatLimit)
    return { factory: requireFactory(tx.sql, id, tx.now), approved: approve, changed: false };
  const next = regranted(f, { ...g, approved: [...g.approved, ...approve], seatLimit: req.seatLimit ?? g.seatLimit });
  storeFactory(tx.sql, next);
  clearIfChanged(tx, f, next, "capabilities approved");
  return { factory: requireFactory(tx.sql, id, tx.now), approved: approve, changed: true };
}
