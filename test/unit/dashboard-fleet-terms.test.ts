// What of the fleet a waiting job's page reads its reason again for (dashboard/live.js `fleetTerms`, the poller's
// `fleetChanged`): a factory enrolled or gone, its status, health, seats, capabilities or a breaker's state — not its
// load or heartbeat, which move at every read of the list (every open job page of a waiting job would read the job
// again each 15 s), nor the order the list comes in.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetTerms } from "../../dashboard/live.js";

const factory = (over: Record<string, unknown> = {}) => ({
  id: "fac_1",
  name: "builder-1",
  status: "active",
  health: "ok",
  seats: 2,
  load: 0,
  lastHeartbeatAt: 1_000,
  capabilities: ["linux"],
  breakers: [{ engine: "claude", state: "closed", consecutiveFailures: 0, openUntil: null }],
  ...over,
});

describe("the fleet as a waiting job's reason reads it", () => {
  it("holds through load, heartbeats and the list's order", () => {
    const other = factory({ id: "fac_2", name: "builder-2" });
    expect(fleetTerms([factory({ load: 2, lastHeartbeatAt: 9_000 }), other])).toBe(fleetTerms([other, factory()]));
  });

  it("moves with a factory enrolled, its status, health, seats, capabilities or a breaker's state", () => {
    const before = fleetTerms([factory()]);
    for (const after of [
      [factory(), factory({ id: "fac_2" })],
      [factory({ status: "draining" })],
      [factory({ health: "stale" })],
      [factory({ seats: 3 })],
      [factory({ capabilities: ["linux", "gpu"] })],
      [factory({ breakers: [{ engine: "claude", state: "open", consecutiveFailures: 5, openUntil: 2_000 }] })],
    ])
      expect(fleetTerms(after), JSON.stringify(after)).not.toBe(before);
  });
});
