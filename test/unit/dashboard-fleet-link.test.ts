// The Fleet page says a factory whose socket closed is disconnected (dashboard/fleet-link.js `disconnected`, from the
// fleet answer's `connected`), and the Fleet line counts them ("· 1 disconnected") — beside a health still `ok`, which
// follows heartbeats. Not said of a factory never connected (its agent has not started), one that left on purpose,
// a revoked one, nor by an older coordinator that sends no `connected`. A card drawn from an approval's answer (the
// list not read again) says the link that answer says (fleet-grants.js `withGrant`), an older coordinator's the list's.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetSummary } from "../../dashboard/fleet.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { withGrant } from "../../dashboard/fleet-grants.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { disconnected } from "../../dashboard/fleet-link.js";

const f = (over: Record<string, unknown>) => ({
  seats: 1,
  load: 0,
  status: "active",
  health: "ok",
  lastHeartbeatAt: 1,
  connected: true,
  disconnectedAt: null,
  ...over,
});

describe("dashboard fleet: disconnected factories", () => {
  it("says disconnected of a factory whose socket closed, health still ok, with or without when", () => {
    expect(disconnected(f({ connected: false, disconnectedAt: 5 }))).toBe(true);
    expect(disconnected(f({ connected: false }))).toBe(true);
    expect(disconnected(f({}))).toBe(false);
  });

  it("not of one never connected, left on purpose, revoked, or from a coordinator that does not say", () => {
    expect(disconnected(f({ connected: false, lastHeartbeatAt: undefined }))).toBe(false);
    expect(disconnected(f({ connected: false, health: "left" }))).toBe(false);
    expect(disconnected(f({ connected: false, status: "revoked" }))).toBe(false);
    expect(disconnected(f({ connected: undefined, disconnectedAt: undefined }))).toBe(false);
  });

  it("counts them on the Fleet line, seats counted as before", () => {
    const fleet = [f({ connected: false, disconnectedAt: 5 }), f({}), f({ connected: false, health: "left" })];
    expect(fleetSummary(fleet)).toBe(
      "3 factories · 0 of 2 seats busy · 1 more seat on factories down, left or never connected · 1 disconnected",
    );
    // Down already, its seat counted "on factories down": not counted again as disconnected.
    expect(fleetSummary([f({ connected: false, health: "down" }), f({})])).toBe(
      "2 factories · 0 of 1 seat busy · 1 more seat on factories down or never connected",
    );
    expect(fleetSummary([f({})])).toBe("1 factory · 0 of 1 seat busy");
  });

  it("draws a card from an approval's answer with the answer's link; an answer with none keeps the list's", () => {
    const live = { factories: [f({ id: "a" }), f({ id: "b" })] };
    withGrant(live, "a", { ...f({ id: "a", connected: false, disconnectedAt: 9, seatLimit: 2 }), changed: true });
    expect(disconnected(live.factories[0])).toBe(true);
    expect(live.factories[0]).toMatchObject({ seatLimit: 2, disconnectedAt: 9 });
    expect(live.factories[0]).not.toHaveProperty("changed");
    expect(disconnected(live.factories[1])).toBe(false);
    withGrant(live, "b", { id: "b", capabilities: [], seatLimit: 3, changed: true }); // an older coordinator's
    expect(live.factories[1]).toMatchObject({ connected: true, seatLimit: 3 });
  });
});
