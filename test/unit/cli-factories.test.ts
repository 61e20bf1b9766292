// `gigafactory factories`: a factory enrolled but never heard from (no lastHeartbeatAt) reads HEALTH
// "never connected", not `down` — its agent has not started; `gigafactory health` leaves it out for the same reason.
import { describe, expect, it } from "vitest";
import { factoryRows } from "../../src/cli/commands/factories.ts";
import type { Factory } from "../../src/shared/http-client.ts";

const NOW = 1_700_000_060_000;
const factory = (over: Partial<Factory>): Factory =>
  ({
    id: "fac_1",
    productId: "shop",
    name: "box-1",
    capabilities: [],
    seats: 2,
    load: 0,
    health: "down",
    status: "active",
    createdAt: NOW - 60_000,
    ...over,
  }) as Factory;

describe("factories: HEALTH", () => {
  it("says never connected for a factory with no heartbeat, and the health of one that has beaten", () => {
    const [never, gone] = factoryRows([factory({}), factory({ id: "fac_2", lastHeartbeatAt: NOW - 600_000 })], NOW);
    expect(never![3]).toBe("never connected");
    expect(never![6]).toBe("never");
    expect(gone![3]).toBe("down");
  });
});
