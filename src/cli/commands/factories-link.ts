/**
 * @module cli/commands/factories-link
 * A factory's link as `gigafactory factories` says it: the LINK column (`linkCell`) and, under `--json`, its word
 * (`linkWord`) beside the fleet view's `connected` and `disconnectedAt` — a script rebuilt the word from two fields.
 */
import { counted } from "../../core/counted.ts";
import { linkEndedWhileUp } from "../../core/factory-link.ts";
import type { Factory } from "../../shared/http-client.ts";
import { formatAge } from "../table.ts";

/** A factory's link as the fleet view answers it: absent from a coordinator older than the field. */
export type Link = { connected?: boolean | null; disconnectedAt?: number | null };

/** What `linkWord` reads of a factory. */
type Linked = Link & Pick<Factory, "lastHeartbeatAt" | "health" | "status">;

/**
 * The LINK column's word: "connected"; "disconnected" once its socket closed (at once — HEALTH follows heartbeats,
 * `down` only after 3 missed) or when its end was not seen; "never" before its first hello or beat; "closed" for a
 * link ended on purpose (a factory that left or was revoked: "disconnected" there read as an outage to find, as the
 * dashboard's card does not say it). Undefined from a coordinator that does not say (older than the field).
 */
export function linkWord(f: Linked): "connected" | "disconnected" | "never" | "closed" | undefined {
  if (f.connected === undefined || f.connected === null) return undefined;
  if (f.connected) return "connected";
  if (f.health === "left" || f.status === "revoked") return "closed";
  if (typeof f.disconnectedAt === "number") return "disconnected";
  return f.lastHeartbeatAt === undefined ? "never" : "disconnected";
}

/** The LINK column: `linkWord`, "disconnected 12s ago" when its end was seen (`disconnectedAt` ms), "-" when unsaid. */
export function linkCell(f: Linked, now: number): string {
  const word = linkWord(f);
  if (word === undefined) return "-";
  if (word === "disconnected" && typeof f.disconnectedAt === "number") {
    return `disconnected ${formatAge(f.disconnectedAt, now)} ago`;
  }
  return word;
}

/**
 * The footer under the table: the factories whose link ended while their heartbeats still count them up (core/
 * factory-link `linkEndedWhileUp`, the rule `GET …/health` and the metrics count `disconnected` by), each named —
 * HEALTH reads `ok` for ~30 s after a socket closed, and the metrics count their seats in the total meanwhile.
 * Out: lines to print (none when no factory is, or the coordinator does not say `connected`).
 */
export function disconnectedLines(found: ReadonlyArray<Linked & Pick<Factory, "id" | "name">>): string[] {
  const cut = found.filter(
    (f) => typeof f.connected === "boolean" && linkEndedWhileUp({ ...f, connected: f.connected }),
  );
  if (cut.length === 0) return [];
  const head = `\n${counted(cut.length, "factory", "factories")} disconnected while HEALTH still counts them up (no live link: no work reaches them until their agent reconnects or polls):`;
  return [head, ...cut.map((f) => `  ${f.name} (${f.id})`)];
}
