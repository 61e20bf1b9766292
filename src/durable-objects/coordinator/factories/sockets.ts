/**
 * @module durable-objects/coordinator/factories/sockets
 * Factory WebSockets on the coordinator, hibernation-friendly: the runtime keeps
 * the sockets (tagged with the factory id) and each one's state lives in its
 * attachment, so the object can be evicted between frames and wake up intact.
 */
import { HEARTBEAT } from "../../../core/lease.ts";
import type { Factory } from "../../../core/model.ts";
import { CLOSE, type ServerFrame } from "../../../shared/protocol.ts";
import { listFactories } from "./registry.ts";

export interface SocketAttachment {
  factoryId: string;
  /** Set once a valid `hello` arrived: only greeted sockets receive work. */
  helloed: boolean;
  /** The factory said it is going away: no new work on this connection. */
  draining: boolean;
  /** The TTL (s) this connection's hello asked for, if any: its leases get the governing TTL or this, whichever is shorter. */
  leaseTtlSeconds?: number;
  connectedAt: number;
  /** The factory's connection generation this socket's hello got (StoredFactory.connection). */
  connection?: number;
  /** A newer hello of the same factory took over: every later frame on this socket is refused. */
  replaced?: boolean;
  /** Why the coordinator closed this socket (`endSocket`): frames the runtime still hands over are refused. */
  closed?: string;
  /** SHA-256 of the token the Worker authenticated the upgrade with: the hello is refused unless it is still current. */
  tokenHash?: string;
}

/**
 * Why the reaper's sweep should close this socket, or undefined to keep it. A factory that never
 * beat counts as down, so a socket whose `hello` has not been handled yet is judged by its age
 * instead: closing it would refuse a host that is connecting right now.
 */
export function staleSocketReason(
  att: SocketAttachment,
  health: Factory["health"] | undefined,
  now: number,
): string | undefined {
  if (health === undefined) return "factory deregistered";
  if (!att.helloed) {
    return now - att.connectedAt >= HEARTBEAT.intervalMs * HEARTBEAT.missedBeforeDown ? "no hello" : undefined;
  }
  return health === "down" ? "no heartbeat" : undefined;
}

/** The sweep: close the sockets `staleSocketReason` condemns (1001); returns them, whose ends the caller records. */
export function closeStaleSockets(state: DurableObjectState, sql: SqlStorage): SocketAttachment[] {
  const closed: SocketAttachment[] = [];
  // Read once: with a thousand sockets attached, a lookup per socket would read the table a thousand times.
  const health = new Map(listFactories(sql, Date.now()).map((f) => [f.id, f.health]));
  const now = Date.now();
  for (const ws of state.getWebSockets()) {
    const att = attachmentOf(ws);
    if (!att?.factoryId) continue;
    const reason = staleSocketReason(att, health.get(att.factoryId), now);
    if (reason) {
      endSocket(ws, 1001, reason);
      closed.push(att);
    }
  }
  return closed;
}

/**
 * Close back a socket that ended (code, reason as the close frame's) and return its attachment if it was its
 * factory's greeted, unreplaced connection — whose end the caller records (link-ends `noteDisconnected`).
 */
export function closeBack(ws: WebSocket, code: number, reason: string): SocketAttachment | undefined {
  const att = attachmentOf(ws);
  try {
    ws.close(code, reason);
  } catch {
    /* already closed */
  }
  return att?.helloed && !att.replaced ? att : undefined;
}

/** Factory ids with a socket attached to this instance, greeted or not (replaced ones aside): links not lost. */
export function attachedFactoryIds(state: DurableObjectState): Set<string> {
  const ids = new Set<string>();
  for (const ws of state.getWebSockets()) {
    const att = attachmentOf(ws);
    if (att?.factoryId && !att.replaced && !att.closed) ids.add(att.factoryId);
  }
  return ids;
}

export function attachmentOf(ws: WebSocket): SocketAttachment | undefined {
  return (ws.deserializeAttachment() as SocketAttachment | null) ?? undefined;
}

/** Sends `frame`, or a frame's JSON text already made (factories/assign-text); false when the socket is closing. */
export function send(ws: WebSocket, frame: ServerFrame | string): boolean {
  try {
    ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    return true;
  } catch {
    // The socket is closing; its leases expire or are given back by the caller.
    return false;
  }
}

export function socketsOf(state: DurableObjectState, factoryId: string): WebSocket[] {
  return state.getWebSockets(factoryId);
}

/**
 * Sockets one factory may hold open before its hello. An agent uses one connection (two while a reconnect
 * overlaps the old one's close); a hello replaces every other (`replaceOthers`), but a socket that never says hello
 * lived until the sweep's "no hello" (90 s), so one factory token could fill the object with idle sockets — each
 * one walked by every `workReadySockets` and the sweep, and together towards the runtime's cap on an object's sockets.
 */
export const MAX_PENDING_SOCKETS = 4;
/** Close code for a socket shed for that bound: "try again later" (the agent reconnects with backoff). */
export const CLOSE_TOO_MANY_PENDING = 1013;

/**
 * Before accepting another socket of `factoryId`: close its oldest sockets not yet greeted, so that with the new
 * one at most MAX_PENDING_SOCKETS wait for a hello. Greeted sockets are left alone. Returns how many it closed.
 */
export function shedPendingSockets(state: DurableObjectState, factoryId: string): number {
  const pending = socketsOf(state, factoryId)
    .map((ws) => ({ ws, att: attachmentOf(ws) }))
    .filter(({ att }) => att !== undefined && !att.helloed && !att.replaced)
    .sort((a, b) => (a.att?.connectedAt ?? 0) - (b.att?.connectedAt ?? 0));
  const excess = pending.length - (MAX_PENDING_SOCKETS - 1);
  const why = "too many connections of this factory waiting for hello";
  for (const { ws } of pending.slice(0, Math.max(0, excess))) endSocket(ws, CLOSE_TOO_MANY_PENDING, why);
  return Math.max(0, excess);
}

/**
 * Greeted, non-draining, non-replaced sockets by factory id. If several remain (a takeover whose close has
 * not landed yet), the latest hello wins — not the latest upgrade: two hellos can be handled out of order.
 */
export function workReadySockets(state: DurableObjectState): Map<string, { ws: WebSocket; att: SocketAttachment }> {
  const out = new Map<string, { ws: WebSocket; att: SocketAttachment }>();
  for (const ws of state.getWebSockets()) {
    const att = attachmentOf(ws);
    if (!att?.helloed || att.draining || att.replaced || att.closed) continue;
    const seen = out.get(att.factoryId);
    if (!seen || newer(att, seen.att)) out.set(att.factoryId, { ws, att });
  }
  return out;
}

const newer = (a: SocketAttachment, b: SocketAttachment): boolean =>
  (a.connection ?? 0) > (b.connection ?? 0) ||
  ((a.connection ?? 0) === (b.connection ?? 0) && a.connectedAt > b.connectedAt);

/**
 * One live connection per factory: mark every other socket of it replaced (so frames still in flight on it are
 * refused even before the close lands), tell it why, and close it. Synchronous, so two hellos cannot interleave.
 */
export function replaceOthers(state: DurableObjectState, keep: WebSocket, factoryId: string): void {
  for (const other of socketsOf(state, factoryId)) {
    if (other === keep) continue;
    const att = attachmentOf(other);
    try {
      if (att && !att.replaced) other.serializeAttachment({ ...att, replaced: true, helloed: false });
    } catch {
      /* closed already: its frames are refused by the connection check */
    }
    send(other, { type: "error", code: "replaced", message: "another connection of this factory took over" });
    try {
      other.close(CLOSE.replaced, "replaced");
    } catch {
      /* already closed */
    }
  }
}

/** Tell every socket of a factory something, then optionally close them. */
export function notifyFactory(
  state: DurableObjectState,
  factoryId: string,
  frame: ServerFrame,
  close?: { code: number; reason: string },
): void {
  for (const ws of socketsOf(state, factoryId)) {
    send(ws, frame);
    if (close) endSocket(ws, close.code, close.reason);
  }
}

/** Close `ws` (revoked, rotated, swept, shed…), marked first: frames the runtime still hands over are refused. */
export function endSocket(ws: WebSocket, code: number, reason: string): void {
  const att = attachmentOf(ws);
  try {
    if (att && !att.closed) ws.serializeAttachment({ ...att, closed: reason });
    ws.close(code, reason);
  } catch {
    /* already closed */
  }
}
