/**
 * @module durable-objects/coordinator/factory-sockets
 * Factory WebSockets on the coordinator, hibernation-friendly: the runtime keeps
 * the sockets (tagged with the factory id) and each one's state lives in its
 * attachment, so the object can be evicted between frames and wake up intact.
 */
import { HEARTBEAT } from "../../core/lease.ts";
import type { Factory } from "../../core/model.ts";
import type { ServerFrame } from "../../shared/protocol.ts";

export interface SocketAttachment {
  factoryId: string;
  /** Set once a valid `hello` arrived: only greeted sockets receive work. */
  helloed: boolean;
  /** The factory said it is going away: no new work on this connection. */
  draining: boolean;
  leaseTtlSeconds: number;
  connectedAt: number;
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

export function attachmentOf(ws: WebSocket): SocketAttachment | undefined {
  return (ws.deserializeAttachment() as SocketAttachment | null) ?? undefined;
}

export function send(ws: WebSocket, frame: ServerFrame): boolean {
  try {
    ws.send(JSON.stringify(frame));
    return true;
  } catch {
    // The socket is closing; its leases expire or are given back by the caller.
    return false;
  }
}

export function socketsOf(state: DurableObjectState, factoryId: string): WebSocket[] {
  return state.getWebSockets(factoryId);
}

/** Greeted, non-draining sockets by factory id (the newest wins if several). */
export function workReadySockets(state: DurableObjectState): Map<string, { ws: WebSocket; att: SocketAttachment }> {
  const out = new Map<string, { ws: WebSocket; att: SocketAttachment }>();
  for (const ws of state.getWebSockets()) {
    const att = attachmentOf(ws);
    if (!att?.helloed || att.draining) continue;
    const seen = out.get(att.factoryId);
    if (!seen || seen.att.connectedAt < att.connectedAt) out.set(att.factoryId, { ws, att });
  }
  return out;
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
    if (close) {
      try {
        ws.close(close.code, close.reason);
      } catch {
        /* already closed */
      }
    }
  }
}
