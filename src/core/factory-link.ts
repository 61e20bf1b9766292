/**
 * @module core/factory-link
 * Whether a factory is connected, as the fleet view says it (`connected`, `disconnectedAt`). Health stays
 * heartbeat-based on purpose (core/departure `standingHealth`): a reconnect within seconds must not flap it, so a
 * factory whose socket closed (host crashed, network cut) read `active, ok` until its heartbeats lapsed, 30 s and
 * more. The link says at once what health says late: read from the coordinator's socket set, not from a stored
 * flag — a link that went down with the coordinator (a crash drops sockets without a close event) left the stored
 * one saying open, and no write per frame keeps anything else current. Pure.
 */
import type { Factory, FactoryStatus, Health } from "./model.ts";

/** The fleet view's link fields: `disconnectedAt` ms epoch, or null while connected or when no end was seen. */
export interface FactoryLinkView {
  connected: boolean;
  disconnectedAt: number | null;
}

/** What the coordinator knows of one factory's link when the fleet is read. */
export interface LinkFacts {
  /** A greeted socket of it is open on the coordinator now (its hello answered, not replaced nor closed). */
  attached: boolean;
  /**
   * Its link as stored: undefined — it never said hello over a WebSocket (an HTTP poller); true — the latest hello's
   * connection has no end recorded; false — its end was recorded (a close handled, a sweep, a token ended).
   */
  storedOpen: boolean | undefined;
  /** It works by HTTP polling now (`pollsOverHttp`): never said hello, or its latest beat came over HTTP. */
  polls: boolean;
  /** When (ms epoch) the coordinator recorded its link's end, if it did (factories/link-ends `noteLinkEnded`). */
  endedAt?: number;
  health: Health;
  status: FactoryStatus;
}

/**
 * A factory's link for the fleet view: connected while a greeted socket of it is open — draining or not — and its
 * heartbeats have not lapsed (`down`): a socket silent that long (a cut network, a hung agent: no close comes) is one
 * the coordinator's next sweep closes, and read connected beside `down` it said less than health did. An HTTP
 * poller has no socket: it counts as connected while its heartbeats (or claims) keep it out of `down` and it did not
 * leave, as the waiting reasons count it (coordinator jobs/waiting) — one that said hello once too, once its latest
 * beat came over HTTP (it claims: reachable), where its old socket's end read it disconnected while it polled.
 * A revoked factory is never connected. `disconnectedAt` is the recorded end of its latest connection; null when the
 * stored link still says open (lost with a coordinator restart, or silent on an open socket: its end not seen yet),
 * for a poller (its polls lapsing read `down`, not an end), and while connected.
 */
export function factoryLink(facts: LinkFacts): FactoryLinkView {
  if (facts.status === "revoked") return { connected: false, disconnectedAt: endOf(facts) };
  if (facts.attached && facts.health !== "down") return { connected: true, disconnectedAt: null };
  if (facts.polls) return { connected: facts.health !== "down" && facts.health !== "left", disconnectedAt: null };
  return { connected: false, disconnectedAt: endOf(facts) };
}

/** A factory's record as `pollsOverHttp` reads it: its hello's generation, its last beat and HTTP beat (ms epoch). */
export interface BeatFacts {
  connection?: number | null;
  lastHeartbeatAt?: number | null;
  polledAt?: number | null;
}

/**
 * Whether a factory works by HTTP polling now: it never said hello over a WebSocket (no `connection`), or its latest
 * beat was an HTTP heartbeat or claim (`polledAt` not older than `lastHeartbeatAt`; a hello or a socket beat after
 * it dates `lastHeartbeatAt` later). The fleet view's `connected` and the live pollers the waiting reasons and
 * preemption count (coordinator factories/registry `livePollers`) read this one rule.
 */
export function pollsOverHttp(f: BeatFacts): boolean {
  if (f.connection === undefined || f.connection === null) return true;
  return typeof f.polledAt === "number" && f.polledAt >= (f.lastHeartbeatAt ?? 0);
}

/** What `linkEndedWhileUp` reads of a factory as the fleet view answers it (`withLinks`). */
export type UpFacts = Pick<Factory, "status" | "health" | "lastHeartbeatAt"> & Pick<FactoryLinkView, "connected">;

/**
 * Whether a factory's link ended while its heartbeats still count it up: enrolled (not revoked), seen (it beat once),
 * health `ok` or `degraded`, and not connected by `factoryLink`'s rule — no greeted socket, and not polling over
 * HTTP (`pollsOverHttp`). The `disconnected` counts of `GET …/health` and of the metrics' seats, and the reason
 * explain gives such a factory (`factory_disconnected`, not `factory_down`: its heartbeats say up), read this rule;
 * the dashboard's fleet line mirrors it (dashboard/fleet-link `disconnected`, those not down). Each is counted in its
 * health as before (heartbeat-based on purpose, core/departure): `disconnected` is a subset of `ok` + `degraded`.
 * Both counts apply it over the same set, every factory whatever its status (a draining or quarantined one too: its
 * running work cannot report over a link that ended), so `/health`'s `factories.disconnected` and the metrics'
 * `seats.disconnectedFactories` are one number; only the metrics' `seats.disconnected` narrows to the active ones,
 * whose seats are in `seats.total`.
 */
export function linkEndedWhileUp(f: UpFacts): boolean {
  if (f.connected || f.status === "revoked" || f.lastHeartbeatAt === undefined) return false;
  return f.health === "ok" || f.health === "degraded";
}

const endOf = (facts: LinkFacts): number | null => (facts.storedOpen === false ? (facts.endedAt ?? null) : null);
