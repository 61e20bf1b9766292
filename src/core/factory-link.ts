/**
 * @module core/factory-link
 * Whether a factory is connected, as the fleet view says it (`connected`, `disconnectedAt`). Health stays
 * heartbeat-based on purpose (core/departure `standingHealth`): a reconnect within seconds must not flap it, so a
 * factory whose socket closed (host crashed, network cut) read `active, ok` until its heartbeats lapsed, 30 s and
 * more. The link says at once what health says late: read from the coordinator's socket set, not from a stored
 * flag — a link that went down with the coordinator (a crash drops sockets without a close event) left the stored
 * one saying open, and no write per frame keeps anything else current. Pure.
 */
import type { FactoryStatus, Health } from "./model.ts";

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
 * leave, as the waiting reasons count it (coordinator jobs/waiting). A revoked factory is never connected.
 * `disconnectedAt` is the recorded end of its latest connection; null when the stored link still says open (lost
 * with a coordinator restart, or silent on an open socket: its end not seen yet), for a poller, and while connected.
 */
export function factoryLink(facts: LinkFacts): FactoryLinkView {
  if (facts.status === "revoked") return { connected: false, disconnectedAt: endOf(facts) };
  if (facts.attached && facts.health !== "down") return { connected: true, disconnectedAt: null };
  if (facts.storedOpen === undefined) {
    return { connected: facts.health !== "down" && facts.health !== "left", disconnectedAt: null };
  }
  return { connected: false, disconnectedAt: endOf(facts) };
}

const endOf = (facts: LinkFacts): number | null => (facts.storedOpen === false ? (facts.endedAt ?? null) : null);
