/**
 * @module durable-objects/coordinator/factories/registry
 * Factory records of one product (enrolled by factories/admin): heartbeats, status changes and
 * the token hash each factory authenticates with. A factory's `load` is never
 * stored — it is counted from the live leases it holds, so it cannot drift.
 * Its `health` is computed on read from its heartbeats and its recent lease
 * expiries (core/lease `factoryHealth`), or is `left` once it left cleanly (core/departure). Its link's ends are
 * recorded through this file's write path by factories/link-ends.
 */

import { standingHealth } from "../../../core/departure.ts";
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import { pollsOverHttp } from "../../../core/factory-link.ts";
import { recordExpiry } from "../../../core/lease.ts";
import type { Factory } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { forgetCachedFactory } from "./cache.ts";

/**
 * The stored document. `capabilities` and `seats` are the effective values the router uses, recomputed
 * from the grant (factories/grants) whenever a declaration or an approval changes it.
 */
export interface StoredFactory extends Omit<Factory, "load" | "health"> {
  engines?: string[];
  agentVersion?: string;
  /** Instants (ms) of this factory's recent lease expiries (core/lease `recordExpiry`). */
  leaseExpiries?: number[];
  /** Generation of the factory's live WebSocket: bumped by every hello; frames from older ones are refused. */
  connection?: number;
  /**
   * The generation whose socket's close the coordinator handled, or that it found gone at an instance's start: equal
   * to `connection` while the factory has no live link. Tells a lost link from one that went down with the
   * coordinator (core/outage-grace, dispatch/outage-grace).
   */
  closedConnection?: number;
  /** When (ms) `closedConnection` was last recorded: the fleet view's `disconnectedAt` (core/factory-link). */
  disconnectedAt?: number;
  /** When (ms) it last beat over HTTP (a heartbeat or a claim): it polls while no later beat came (core/factory-link). */
  polledAt?: number;
}

function rowToFactory(sql: SqlStorage, doc: string, now: number, loads?: ReadonlyMap<string, number>): Factory {
  const {
    connection: _c,
    closedConnection: _cc,
    disconnectedAt: _d,
    polledAt: _p,
    statusReason,
    ...f
  } = JSON.parse(doc) as StoredFactory;
  return {
    ...f,
    // Why it is draining or quarantined, in the fleet's answer too (`gigafactory factories`): only beside such a
    // status, as welcome carries it (factories/standing); an active or revoked record says none.
    ...(statusReason !== undefined && (f.status === "draining" || f.status === "quarantined") ? { statusReason } : {}),
    load: loads ? (loads.get(f.id) ?? 0) : liveLoad(sql, f.id),
    health: standingHealth(f, now),
  };
}

/** The stored document of a factory, or undefined. */
export function readFactory(sql: SqlStorage, id: string): StoredFactory | undefined {
  const row = one<{ doc: string }>(sql, "SELECT doc FROM factories WHERE id = ?", id);
  return row ? (JSON.parse(row.doc) as StoredFactory) : undefined;
}

/**
 * A factory as an alert or a lesson names it to the operator: `name (id)` — the name is what `gigafactory factories`,
 * the fleet map and the waiting reasons show, the id what the CLI takes — or the id alone once it is deregistered.
 */
export function factoryLabel(sql: SqlStorage, id: string): string {
  const row = one<{ name: string }>(sql, "SELECT name FROM factories WHERE id = ?", id);
  return row ? `${row.name} (${id})` : id;
}

export function liveLoad(sql: SqlStorage, factoryId: string): number {
  return sql
    .exec<{ n: number }>(
      "SELECT COUNT(*) AS n FROM jobs WHERE holder_factory_id = ? AND stage IN ('assigned', 'building')",
      factoryId,
    )
    .one().n;
}

export function loadFactory(sql: SqlStorage, id: string, now: number): Factory | undefined {
  const row = one<{ doc: string }>(sql, "SELECT doc FROM factories WHERE id = ?", id);
  return row ? rowToFactory(sql, row.doc, now) : undefined;
}

export function requireFactory(sql: SqlStorage, id: string, now: number): Factory {
  const f = loadFactory(sql, id, now);
  if (!f) throw new NotFoundError("factory", id);
  return f;
}

/**
 * The factory a routing rule (or an experiment arm's rule) names: enrolled and not revoked — a revoked factory never
 * runs again (it enrolls anew, under another id), so a rule naming it would apply to nothing, and an arm preferring
 * it would be the other arm in disguise.
 * @throws NotFoundError — no such factory. DomainError conflict — the factory is revoked.
 */
export function requireRoutableFactory(sql: SqlStorage, id: string, now: number): Factory {
  const f = requireFactory(sql, id, now);
  if (f.status !== "revoked") return f;
  throw new DomainError("conflict", `factory ${id} is revoked: a routing rule naming it could never apply`, {
    factoryId: id,
  });
}

/** Whether factory `f` has a link the coordinator never saw end (core/outage-grace `HolderLink.connected`). */
export function linkOpen(f: StoredFactory): boolean | undefined {
  return f.connection === undefined ? undefined : f.closedConnection !== f.connection;
}

/** Live lease counts of every factory holding any, in one query. */
export function factoryLoads(sql: SqlStorage): Map<string, number> {
  const rows = sql
    .exec<{ id: string; n: number }>(
      "SELECT holder_factory_id AS id, COUNT(*) AS n FROM jobs WHERE holder_factory_id IS NOT NULL AND stage IN ('assigned', 'building') GROUP BY holder_factory_id",
    )
    .toArray();
  return new Map(rows.map((r) => [r.id, r.n]));
}

export function listFactories(sql: SqlStorage, now: number): Factory[] {
  const loads = factoryLoads(sql);
  return sql
    .exec<{ doc: string }>("SELECT doc FROM factories ORDER BY name, id")
    .toArray()
    .map((r) => rowToFactory(sql, r.doc, now, loads));
}

type BeatRow = { id: string; connection: number | null; polledAt: number | null; lastHeartbeatAt: number | null };
/** Each factory's beats as core/factory-link `pollsOverHttp` reads them. */
const BEATS_SQL = `SELECT id, json_extract(doc, '$.connection') AS connection, json_extract(doc, '$.polledAt') AS polledAt,
  json_extract(doc, '$.lastHeartbeatAt') AS lastHeartbeatAt FROM factories`;

/**
 * The HTTP pollers that can take work now (core/factory-link `pollsOverHttp`: never said hello, or their latest beat
 * came over HTTP): their heartbeats (or claims) keep them out of `down` (and they did not leave). What the waiting
 * reason counts as connected beside the work-ready sockets, and what keeps preemption from stopping a run while a
 * poller's free seat would take the critical job at its next claim — as the fleet view's `connected` reads them.
 * `factories`: the product's factories when the caller has them listed already (`listFactories`).
 */
export function livePollers(sql: SqlStorage, now: number, factories = listFactories(sql, now)): Factory[] {
  const ids = new Set(
    sql
      .exec<BeatRow>(BEATS_SQL)
      .toArray()
      .filter(pollsOverHttp)
      .map((r) => r.id),
  );
  return factories.filter((f) => ids.has(f.id) && f.health !== "down" && f.health !== "left");
}

/** The table's one write path with `deleteFactory` and `httpBeat`: each tells factories/cache, so no cached document outlives a write. */
export function storeFactory(sql: SqlStorage, f: StoredFactory, tokenHash?: string | null): void {
  forgetCachedFactory(sql, f.id);
  const doc = JSON.stringify({ ...f, load: undefined, health: undefined });
  if (tokenHash === undefined) {
    execute(sql, "UPDATE factories SET name = ?, status = ?, doc = ? WHERE id = ?", f.name, f.status, doc, f.id);
  } else {
    execute(
      sql,
      `INSERT INTO factories(id, name, token_hash, status, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash,
         status = excluded.status, doc = excluded.doc`,
      f.id,
      f.name,
      tokenHash,
      f.status,
      doc,
    );
  }
}

/**
 * Merge `changes` into the stored document. Not for capabilities or seats: those go through
 * factories/grants (`declareFactory`, `approveGrant`) so a factory cannot widen its own grant. A change of `status`
 * drops the old one's `statusReason` unless `changes` gives one (factories/standing).
 */
export function updateFactory(
  tx: Tx,
  id: string,
  changes: Partial<Omit<StoredFactory, "capabilities" | "seats" | "approvedCapabilities" | "seatLimit">>,
): Factory {
  const f = readFactory(tx.sql, id);
  if (!f) throw new NotFoundError("factory", id);
  const moved = changes.status !== undefined && changes.status !== f.status; // an old status's reason goes with it
  storeFactory(tx.sql, { ...f, ...(moved ? { statusReason: undefined } : {}), ...changes, id });
  return requireFactory(tx.sql, id, tx.now);
}

/**
 * `answer` — what a factory's fenced HTTP call (a lease renewal, a report, a release) computed in this unit — once its
 * beat is written: `lastHeartbeatAt` and `polledAt` at `tx.now` (an HTTP beat: core/factory-link), as a claim and an
 * HTTP heartbeat write them. Called after the fence passed, so a refused call (its unit rolled back) beats nothing. A
 * poller that renews and reports but has no free seat to claim for read silent: `down`, a lease expiry's
 * `lastHeartbeatAt` its last claim. One statement on the stored document, no read (a deregistered one has no row).
 * `onSocket`: its socket is open on this instance — `lastHeartbeatAt` only (SOCKET_HOLDER_BEAT_SQL).
 */
export function httpBeat<T>(tx: Tx, id: string, answer: T, onSocket = false): T {
  forgetCachedFactory(tx.sql, id);
  execute(tx.sql, onSocket ? SOCKET_HOLDER_BEAT_SQL : HTTP_BEAT_SQL, tx.now, id);
  return answer;
}

const HTTP_BEAT_SQL =
  "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?1, '$.polledAt', ?1) WHERE id = ?2";
/**
 * `onSocket`: the call came from a factory whose greeted socket is open on this instance (an agent on its socket
 * declares capabilities over HTTP: agent/engine-offer) — a beat, not a poll. Stamped a poll, it read as an HTTP
 * poller until its next socket beat, and a coordinator restart in that window denied its leases the socket holder's
 * outage grace (a pass-42 review: the job ran twice).
 */
const SOCKET_HOLDER_BEAT_SQL = "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?1) WHERE id = ?2";

/** `count` more lease expiries at `tx.now` on the factory's record, in one write (a deregistered factory has none). */
export function noteLeaseExpiry(tx: Tx, id: string, count = 1): void {
  const f = readFactory(tx.sql, id);
  if (!f) return;
  let leaseExpiries = f.leaseExpiries;
  for (let i = 0; i < count; i++) leaseExpiries = recordExpiry(leaseExpiries, tx.now);
  storeFactory(tx.sql, { ...f, leaseExpiries });
}

export function deleteFactory(tx: Tx, id: string): void {
  forgetCachedFactory(tx.sql, id);
  execute(tx.sql, "DELETE FROM factories WHERE id = ?", id);
}

const BY_TOKEN_SQL = "SELECT id, name, status FROM factories WHERE token_hash = ? AND status != 'revoked'";
export function factoryByTokenHash(
  sql: SqlStorage,
  hash: string,
): { id: string; name: string; status: string } | undefined {
  return one<{ id: string; name: string; status: string }>(sql, BY_TOKEN_SQL, hash);
}
