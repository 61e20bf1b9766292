/**
 * @module durable-objects/coordinator/factories/standing
 * What a factory's `welcome` says of its status. A `drain` frame reaches only the sockets open when the factory is
 * drained or quarantined: an agent that connected later — restarted, or cut off at the time — was welcomed with
 * nothing of it, and sat idle, connected, without a word of why no work came. So the reason is kept on the factory's
 * record with the status (`statusReason`: an operator's `draining by ACTOR` / `quarantined by ACTOR`, the error
 * budget's `quarantined: …`; dropped when the status changes again, factories/registry `updateFactory`), and every
 * `welcome` carries the status and, when it is not `active`, that reason (shared/protocol-lease-notices
 * `WelcomeStanding`), which the agent says as it says a `drain`.
 *
 * Its way back is said too (`activeNotice`): a released or activated factory's connected agent heard nothing until
 * its next assign, and kept showing "quarantined … run `gigafactory factory release`" after the operator had.
 */
import type { FactoryStatus } from "../../../core/model.ts";
import type { ActiveNotice, DrainNotice, WelcomeStanding } from "../../../shared/protocol-lease-notices.ts";
import { readFactory } from "./registry.ts";

/** The reason an operator's status change gives, in its `drain` and in later `welcome`s: `quarantined by alice`. */
export function operatorStatusReason(status: "draining" | "quarantined", actor: string): string {
  return `${status} by ${actor}`;
}

/**
 * What `welcome` says of factory `id`'s status: `{status}` when active, `{status, statusReason}` when draining or
 * quarantined (the reason `status` alone for a record from before reasons were kept); `{}` for no such factory, or
 * a revoked one (never welcomed: its hello is refused).
 */
export function welcomeStanding(sql: SqlStorage, id: string): WelcomeStanding {
  const f = readFactory(sql, id);
  if (!f || f.status === "revoked") return {};
  if (f.status === "active") return { status: "active" };
  return { status: f.status, statusReason: f.statusReason ?? f.status };
}

/**
 * The frame a factory's connected agent is sent once an operator (`actor`) set its status `to`, from `from` (as it
 * was before that unit): a `drain` saying `to` and why for draining or quarantined (sent again to a factory already
 * so: its reason changed); `active` out of a quarantine (`released by alice`) or out of draining (`activated by
 * alice`); undefined for an active factory made active again (nothing changed that its agent has not heard).
 */
export function statusNotice(
  from: FactoryStatus | undefined,
  to: "active" | "draining" | "quarantined",
  actor: string,
): DrainNotice | ActiveNotice | undefined {
  if (to !== "active") return { type: "drain", reason: operatorStatusReason(to, actor), status: to };
  if (from === "quarantined") return { type: "active", reason: `released by ${actor}` };
  if (from === "draining") return { type: "active", reason: `activated by ${actor}` };
  return undefined;
}
