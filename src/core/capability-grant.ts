/**
 * @module core/capability-grant
 * What a factory may be routed on: the capabilities it declares (hello, heartbeat) only as far as enrollment or
 * an operator granted them, and no more seats than it was enrolled with. Pure.
 *
 * Why: a factory token holder could otherwise declare `gpu` or `os:macos` in its own hello and be sent jobs it
 * was never vetted for (and the secrets or repositories that come with them), or claim 64 seats and hoard the
 * queue. A declared capability beyond the grant is kept visible as *pending* until an operator approves it; a
 * granted capability the host no longer declares is not routed on (the tool may have been uninstalled).
 */

export interface Grant {
  /** Capabilities enrollment or an operator granted. */
  approved: readonly string[];
  /** What the factory last declared; undefined before its first hello/heartbeat with capabilities. */
  declared?: readonly string[];
  /** Seats enrollment or an operator allowed. */
  seatLimit: number;
  /** Seats the factory last declared; undefined before it declared any. */
  declaredSeats?: number;
}

export interface Effective {
  /** What the router matches on: approved ∩ declared (approved alone until the factory declares). Sorted. */
  capabilities: string[];
  /** Declared but not approved: waiting for an operator. Sorted. */
  pending: string[];
  /** min(declared, limit), at least 1. */
  seats: number;
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

export function effectiveGrant(g: Grant): Effective {
  const approved = new Set(g.approved);
  const declared = g.declared === undefined ? undefined : new Set(g.declared);
  const capabilities = sorted([...approved].filter((c) => declared === undefined || declared.has(c)));
  const pending = sorted([...(declared ?? [])].filter((c) => !approved.has(c)));
  const seats = Math.max(1, Math.min(g.declaredSeats ?? g.seatLimit, g.seatLimit));
  return { capabilities, pending, seats };
}

/**
 * Split an operator's approval request against the grant: `approve` is what to add to the approved set;
 * `undeclared` lists names neither declared nor already approved (refused: an operator approves what a host
 * asked for — granting something else is enrollment's job). With no list, every pending capability is approved.
 */
export function approvalOf(g: Grant, requested?: readonly string[]): { approve: string[]; undeclared: string[] } {
  const { pending } = effectiveGrant(g);
  if (requested === undefined) return { approve: pending, undeclared: [] };
  const approved = new Set(g.approved);
  const open = new Set(pending);
  const approve = sorted(requested.filter((c) => open.has(c)));
  const undeclared = sorted(requested.filter((c) => !open.has(c) && !approved.has(c)));
  return { approve, undeclared };
}
