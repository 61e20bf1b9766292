// The fleet view's link rule (core/factory-link `factoryLink`): connected while a greeted socket is open, whatever
// the stored link says — a socket lost with a coordinator restart left the stored link open, and health stays ok for
// 30 s after a crash — unless it went silent past 3 missed beats (down: the sweep closes it; no close came).
// `disconnectedAt` only when the end was recorded for the latest connection; an HTTP poller is connected while up (as
// the waiting reasons count it) — one that said hello once too, while its latest beat came over HTTP (`pollsOverHttp`:
// it read disconnected by its old socket's end while it polled); a revoked factory never.
import { describe, expect, it } from "vitest";
import {
  factoryLink,
  type LinkFacts,
  linkEndedWhileUp,
  pollsOverHttp,
  type UpFacts,
} from "../../src/core/factory-link.ts";

const facts = (over: Partial<LinkFacts>): LinkFacts => ({
  attached: false,
  storedOpen: true,
  polls: false,
  health: "ok",
  status: "active",
  ...over,
});

describe("factoryLink", () => {
  it("is connected while a greeted socket is open, with no end to say", () => {
    expect(factoryLink(facts({ attached: true, endedAt: 5 }))).toEqual({ connected: true, disconnectedAt: null });
    expect(factoryLink(facts({ attached: true, health: "degraded", status: "draining" }))).toEqual({
      connected: true,
      disconnectedAt: null,
    });
  });

  it("is disconnected on an open socket silent past 3 missed beats (down): the sweep closes it, no close came", () => {
    // A cut network or a hung agent: read connected beside `down`, the link said less than health did.
    expect(factoryLink(facts({ attached: true, health: "down", endedAt: 5 }))).toEqual({
      connected: false,
      disconnectedAt: null,
    });
  });

  it("is disconnected once no socket is open, though health still reads ok; with when, if the end was recorded", () => {
    expect(factoryLink(facts({ storedOpen: false, endedAt: 1_000 }))).toEqual({
      connected: false,
      disconnectedAt: 1_000,
    });
    // Lost with a coordinator restart: the stored link still says open, and an older end is not this one's.
    expect(factoryLink(facts({ storedOpen: true, endedAt: 1_000 }))).toEqual({
      connected: false,
      disconnectedAt: null,
    });
    // A record from before the end was timed.
    expect(factoryLink(facts({ storedOpen: false }))).toEqual({ connected: false, disconnectedAt: null });
  });

  it("counts an HTTP poller connected while its heartbeats keep it up and it did not leave", () => {
    const poller = (health: LinkFacts["health"]) => factoryLink(facts({ storedOpen: undefined, polls: true, health }));
    expect(poller("ok").connected).toBe(true);
    expect(poller("degraded").connected).toBe(true);
    expect(poller("down")).toEqual({ connected: false, disconnectedAt: null });
    expect(poller("left").connected).toBe(false);
  });

  it("counts a factory whose socket ended and that polls over HTTP now connected while up, with no end to say", () => {
    const switched = (health: LinkFacts["health"]) =>
      factoryLink(facts({ storedOpen: false, endedAt: 1_000, polls: true, health }));
    expect(switched("ok")).toEqual({ connected: true, disconnectedAt: null });
    expect(switched("down")).toEqual({ connected: false, disconnectedAt: null });
    expect(switched("left").connected).toBe(false);
  });

  it("reads a factory as polling when it never said hello, or its latest beat came over HTTP", () => {
    expect(pollsOverHttp({})).toBe(true);
    expect(pollsOverHttp({ connection: null, lastHeartbeatAt: 5 })).toBe(true);
    expect(pollsOverHttp({ connection: 2, lastHeartbeatAt: 100, polledAt: 100 })).toBe(true);
    // A socket beat or a hello after its last HTTP beat: it is back on its socket.
    expect(pollsOverHttp({ connection: 2, lastHeartbeatAt: 150, polledAt: 100 })).toBe(false);
    expect(pollsOverHttp({ connection: 2, lastHeartbeatAt: 150 })).toBe(false);
  });

  it("never counts a revoked factory connected", () => {
    expect(factoryLink(facts({ status: "revoked", storedOpen: undefined, polls: true }))).toEqual({
      connected: false,
      disconnectedAt: null,
    });
    expect(factoryLink(facts({ status: "revoked", attached: true, storedOpen: false, endedAt: 7 }))).toEqual({
      connected: false,
      disconnectedAt: 7,
    });
  });
});

describe("linkEndedWhileUp (the disconnected counts of health and the metrics)", () => {
  const up = (over: Partial<UpFacts>): UpFacts => ({
    connected: false,
    status: "active",
    health: "ok",
    lastHeartbeatAt: 1_000,
    ...over,
  });

  it("counts a seen factory not connected while its heartbeats say ok or degraded, whatever its status but revoked", () => {
    expect(linkEndedWhileUp(up({}))).toBe(true);
    expect(linkEndedWhileUp(up({ health: "degraded", status: "draining" }))).toBe(true);
    expect(linkEndedWhileUp(up({ status: "quarantined" }))).toBe(true);
  });

  it("leaves out one connected (a socket, or polling over HTTP), down or left already, never seen, or revoked", () => {
    expect(linkEndedWhileUp(up({ connected: true }))).toBe(false);
    expect(linkEndedWhileUp(up({ health: "down" }))).toBe(false); // counted down: not twice
    expect(linkEndedWhileUp(up({ health: "left" }))).toBe(false); // stopped on purpose
    expect(linkEndedWhileUp(up({ lastHeartbeatAt: undefined }))).toBe(false); // its agent has not started
    expect(linkEndedWhileUp(up({ status: "revoked" }))).toBe(false);
  });

  it("reads the fleet view's link: a closed socket's factory counts until it polls over HTTP", () => {
    const closed = factoryLink({ attached: false, storedOpen: false, polls: false, health: "ok", status: "active" });
    const polling = factoryLink({ attached: false, storedOpen: false, polls: true, health: "ok", status: "active" });
    expect(linkEndedWhileUp(up(closed))).toBe(true);
    expect(linkEndedWhileUp(up(polling))).toBe(false);
  });
});
