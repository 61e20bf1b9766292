/**
 * @module durable-objects/coordinator/factories/socket-guards
 * Which socket speaks for its factory: the hello's credential (the upgrade's token still the factory's), each frame's
 * connection check inside its unit (the latest hello's generation), and the refusal a frame on a replaced or closed
 * socket gets. Read per frame from the factory cache (factories/cache), not the table.
 */
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import { CLOSE } from "../../../shared/protocol.ts";
import { one } from "../runtime/tx.ts";
import { cachedFactory } from "./cache.ts";
import { readFactory, type StoredFactory } from "./registry.ts";
import { type SocketAttachment, send } from "./sockets.ts";

/** `details.reason` of the refusal a replaced socket gets: the runtime closes the socket on it. */
export const REPLACED = "replaced";

/**
 * Inside the unit that applies a frame: this socket still speaks for its factory — it is the one the
 * latest hello was answered on. Checked against the stored generation, not only the attachment, so a
 * frame is refused even if marking the old socket failed.
 * @throws DomainError conflict (details.reason "replaced") — a newer connection of the factory took over.
 * @throws NotFoundError — the factory was deregistered.
 */
export function assertCurrentConnection(sql: SqlStorage, att: SocketAttachment): void {
  // From the factory cache (factories/cache: forgotten on every write of the row and on any rollback), not a row
  // read and parse per frame: three per job at a few hundred jobs/s (issue 12).
  const f = cachedFactory(sql, att.factoryId);
  if (!f) throw new NotFoundError("factory", att.factoryId);
  if (att.replaced || (f.connection ?? 0) !== (att.connection ?? 0)) {
    throw new DomainError("conflict", "a newer connection of this factory replaced this one; its frames are refused", {
      factoryId: att.factoryId,
      reason: REPLACED,
    });
  }
}

/** A frame on a socket a newer hello replaced (or the coordinator closed: `endSocket`): refused, changing nothing. */
export function refuseReplaced(ws: WebSocket, id: string | undefined, closed?: string): void {
  const message = closed
    ? `the coordinator closed this connection (${closed})`
    : "a newer connection of this factory replaced this one";
  send(ws, { type: "error", id, code: "conflict", message });
  try {
    ws.close(CLOSE.replaced, "replaced");
  } catch {
    /* already closed */
  }
}

/**
 * The factory a hello speaks for, when the token its upgrade was authenticated with (`att.tokenHash`) is still the
 * factory's. A revocation, rotation or deregistration that committed after the Worker authenticated the upgrade
 * closed every socket the factory had then — not this one, accepted after it.
 * @throws DomainError `unauthorized` — revoked, rotated away or deregistered (or no token named)
 */
export function helloCredential(sql: SqlStorage, att: SocketAttachment): StoredFactory {
  const known = readFactory(sql, att.factoryId);
  const current = one<{ h: string | null }>(sql, "SELECT token_hash AS h FROM factories WHERE id = ?", att.factoryId);
  if (known && known.status !== "revoked" && att.tokenHash !== undefined && current?.h === att.tokenHash) return known;
  throw new DomainError("unauthorized", "this factory's token was revoked or rotated, or the factory deregistered");
}
