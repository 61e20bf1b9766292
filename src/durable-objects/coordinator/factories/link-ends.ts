/**
 * @module durable-objects/coordinator/factories/link-ends
 * A factory's link ended, on its record (factories/registry): which connection generation ended and when
 * (`closedConnection`, `disconnectedAt`: the fleet view's `disconnectedAt`, core/factory-link) — by a socket's close,
 * the sweep or an instance's start (`noteDisconnected`), by its peer with a clean leave (`noteLinkEnded`), or by its
 * token ending (`setFactoryToken`). Each in the write the end already makes: none per frame.
 */
import { leftCleanly } from "../../../core/departure.ts";
import { NotFoundError } from "../../../core/errors.ts";
import type { FactoryStatus } from "../../../core/model.ts";
import type { Tx } from "../runtime/tx.ts";
import { linkOpen, liveLoad, readFactory, requireFactory, storeFactory } from "./registry.ts";

/**
 * Sockets ended (close handled, swept, or found gone at an instance's start: `unseen`, when unknown — `disconnectedAt`
 * cleared), each of factory `factoryId`'s generation `connection`: that generation recorded closed, unless a newer
 * hello's is live by now (a replaced socket's late close says nothing). Idempotent.
 */
export function noteDisconnected(tx: Tx, ...ended: { factoryId: string; connection?: number; unseen?: true }[]) {
  for (const att of ended) {
    const f = readFactory(tx.sql, att.factoryId);
    if (f?.connection === undefined || f.connection !== att.connection || f.closedConnection === f.connection) continue;
    storeFactory(tx.sql, { ...f, closedConnection: f.connection, disconnectedAt: att.unseen ? undefined : tx.now });
  }
}

/**
 * The live link (`att`, the socket's attachment) of a factory ended with the peer's close `code`: its end recorded
 * (as `noteDisconnected`) and, if its agent had drained, closed cleanly and holds no lease (core/departure
 * `leftCleanly`), that it left — its health reads `left`, not `down`, and nothing pages (policies/health-check).
 * Both in one write of the record (they were two). A hello clears it (factories/grants).
 */
export function noteLinkEnded(
  tx: Tx,
  att: { factoryId: string; connection?: number; draining: boolean },
  code: number,
) {
  const f = readFactory(tx.sql, att.factoryId);
  if (f?.connection === undefined || f.connection !== att.connection) return; // a replaced socket's close says nothing
  const left = leftCleanly({ draining: att.draining, code, heldLeases: liveLoad(tx.sql, att.factoryId) });
  if (!left && f.closedConnection === f.connection) return; // recorded already
  const end = f.closedConnection === f.connection ? {} : { closedConnection: f.connection, disconnectedAt: tx.now };
  storeFactory(tx.sql, { ...f, ...end, ...(left ? { leftAt: tx.now } : {}) });
}

/**
 * The factory's token is `tokenHash` now (null: revoked, with `status`), and the old one's connections end: a new
 * generation, recorded closed, so a frame on one is refused in its unit (socket-guards `assertCurrentConnection`);
 * an HTTP poller (no generation) stays one. `live`: a greeted socket of it is open.
 * @throws NotFoundError — no such factory.
 */
export function setFactoryToken(tx: Tx, id: string, tokenHash: string | null, status?: FactoryStatus, live = true) {
  const f = readFactory(tx.sql, id);
  if (!f) throw new NotFoundError("factory", id);
  const next = (f.connection ?? 0) + 1; // ended now, unless its end was recorded already (kept: when it was) —
  const at = !linkOpen(f) ? f.disconnectedAt : live ? tx.now : undefined; // or lost unseen, with a restart: no time
  const ended = f.connection === undefined ? {} : { connection: next, closedConnection: next, disconnectedAt: at };
  storeFactory(tx.sql, { ...f, ...ended, status: status ?? f.status }, tokenHash);
  return requireFactory(tx.sql, id, tx.now);
}
