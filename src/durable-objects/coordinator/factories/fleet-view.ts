/**
 * @module durable-objects/coordinator/factories/fleet-view
 * The fleet as `GET …/factories` and `GET …/factories/{id}` answer it: each factory with its link (core/factory-link
 * `connected`, `disconnectedAt`) read from the runtime's own socket list at the read — never a JS map alone, which
 * is empty after a hibernation eviction, and never a write per frame: a socket's close or a new hello shows at the
 * next read.
 */
import { type FactoryLinkView, factoryLink, linkEndedWhileUp, pollsOverHttp } from "../../../core/factory-link.ts";
import type { Factory } from "../../../core/model.ts";
import { type BreakerView, breakersOf } from "../policies/breaker-views.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { attachmentOf } from "./sockets.ts";

/**
 * Factory ids with a greeted socket open on this instance — its hello answered, not replaced, not closed by the
 * coordinator nor by its peer (draining ones in: still linked). `factoryId`: that factory's sockets only (by tag).
 */
export function linkedFactoryIds(state: DurableObjectState, factoryId?: string): Set<string> {
  const ids = new Set<string>();
  for (const ws of factoryId === undefined ? state.getWebSockets() : state.getWebSockets(factoryId)) {
    const att = attachmentOf(ws);
    if (!att?.helloed || att.replaced || att.closed || ws.readyState !== WebSocket.OPEN) continue;
    ids.add(att.factoryId);
  }
  return ids;
}

interface LinkRow extends Record<string, SqlStorageValue> {
  id: string;
  c: number | null;
  cc: number | null;
  at: number | null;
  polledAt: number | null;
  beatAt: number | null;
}

/**
 * Each factory's stored link in one query: its hello's generation, the one whose end was recorded, and when; its last
 * beat and last HTTP beat (whether it polls now).
 */
const LINKS_SQL = `SELECT id, json_extract(doc, '$.connection') AS c, json_extract(doc, '$.closedConnection') AS cc,
  json_extract(doc, '$.disconnectedAt') AS at, json_extract(doc, '$.polledAt') AS polledAt,
  json_extract(doc, '$.lastHeartbeatAt') AS beatAt FROM factories`;

const linkFacts = (row: LinkRow | undefined) => ({
  storedOpen: row?.c === null || row === undefined ? undefined : row.c !== row.cc,
  polls: pollsOverHttp({ connection: row?.c, polledAt: row?.polledAt, lastHeartbeatAt: row?.beatAt }),
  ...(typeof row?.at === "number" ? { endedAt: row.at } : {}),
});

/**
 * `factories` with their links: `linked` from `linkedFactoryIds` at the same read. Out: each factory as given, plus
 * `connected` and `disconnectedAt` (ms epoch or null), in the same order.
 */
export function withLinks<F extends Factory>(
  sql: SqlStorage,
  factories: readonly F[],
  linked: ReadonlySet<string>,
): (F & FactoryLinkView)[] {
  const rows =
    factories.length === 1
      ? [one<LinkRow>(sql, `${LINKS_SQL} WHERE id = ?`, factories[0]!.id)].filter((r) => r !== undefined)
      : sql.exec<LinkRow>(LINKS_SQL).toArray();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return factories.map((f) => ({
    ...f,
    ...factoryLink({ attached: linked.has(f.id), health: f.health, status: f.status, ...linkFacts(byId.get(f.id)) }),
  }));
}

/**
 * Of `factories`, the ids of those whose link ended while their heartbeats still count them up (core/factory-link
 * `linkEndedWhileUp`), their links read as `withLinks` reads them (`linked`: `linkedFactoryIds` at this read): what
 * `GET …/health` and the metrics count `disconnected`, so either says what the fleet view's cards say.
 */
export function linkEndedIds(sql: SqlStorage, factories: readonly Factory[], linked: ReadonlySet<string>): Set<string> {
  return new Set(
    withLinks(sql, factories, linked)
      .filter(linkEndedWhileUp)
      .map((f) => f.id),
  );
}

/** A factory as the fleet view answers it: its breakers that are not plainly closed with no failures, and its link. */
export type FleetFactory = Factory & FactoryLinkView & { breakers: Omit<BreakerView, "factoryId">[] };

/**
 * Factory `f` (and what else it carries: an approval's `changed`, an enrollment's `resumed`) as the fleet view shows
 * it (`FleetFactory`), its link read from its own sockets (by tag) at this read: what `GET …/factories/{id}`, a
 * release, and the status, approve, enroll, rotate and revoke answers carry — a card drawn from an action's answer
 * says what the list would (an answer without the link left the card's badge to the next poll). `ending`: the unit
 * ends every link of it (a rotation, a revocation: rpc/fleet `retiring` closes its sockets in the unit's answer, right
 * after the commit), so its sockets, still open at this read, are not read as a link — the answer said `connected:
 * true` of a factory whose sockets closed as it was sent.
 */
export function fleetFactory<F extends Factory>(
  state: DurableObjectState,
  sql: SqlStorage,
  f: F,
  now: number,
  ending = false,
) {
  const [linked] = withLinks(sql, [f], ending ? new Set() : linkedFactoryIds(state, f.id));
  return { ...linked!, breakers: breakersOf(sql, f.id, now) };
}

/** Factory `f` as the fleet view shows it in unit `tx` (`fleetFactory`): an enrollment's answer. */
export function listedIn<F extends Factory>(state: DurableObjectState, tx: Tx, f: F, ending = false) {
  return fleetFactory(state, tx.sql, f, tx.now, ending);
}

/**
 * A rotated or revoked factory (its unit's `{value, watched?}`) as the fleet view shows it, its sockets read as ended:
 * the unit's answer closes them (rpc/fleet `retiring`), so a card drawn from the answer says disconnected, as the list
 * will say at its next read.
 */
export function retiredListed<F extends Factory, R extends { value: F }>(state: DurableObjectState, tx: Tx, r: R) {
  return { ...r, value: listedIn(state, tx, r.value, true) };
}
