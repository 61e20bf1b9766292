// The agent follows the lease TTL the coordinator grants: a `settings` frame parses (a malformed one is ignored, not
// obeyed), a resumed lease renews at the connection's TTL until told otherwise, and every renewal's answer resets the
// cadence to half the TTL it granted — so a TTL shortened by an operator can never outrun the agent's renewals.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaseRenewer, renewPlan } from "../../src/agent/lease-renewer.ts";
import { parseServerFrame } from "../../src/shared/protocol.ts";

describe("the settings frame", () => {
  it("parses a valid one and refuses a malformed one", () => {
    expect(parseServerFrame(JSON.stringify({ type: "settings", leaseTtlSeconds: 120 }))).toEqual({
      ok: true,
      frame: { type: "settings", leaseTtlSeconds: 120 },
    });
    for (const bad of [
      { type: "settings" },
      { type: "settings", leaseTtlSeconds: 1 },
      { type: "settings", leaseTtlSeconds: "60" },
    ]) {
      expect(parseServerFrame(JSON.stringify(bad)).ok).toBe(false);
    }
  });
});

describe("renewPlan with the connection's TTL", () => {
  it.each([
    // wanted, granted, resumed, connection TTL → plan
    [undefined, 120, false, 60, { now: false, everyMs: 60_000 }],
    [undefined, 4, true, 240, { now: true, everyMs: 120_000 }],
    [30, 4, true, 240, { now: true, everyMs: 15_000 }],
    [600, 60, false, 60, { now: false, everyMs: 30_000 }], // asked for more than granted: keep to the grant
  ] as const)("wanted %s, granted %s, resumed %s, connection %s → %j", (wanted, granted, resumed, conn, plan) => {
    expect(renewPlan(wanted, granted, resumed, conn)).toEqual(plan);
  });
});

describe("LeaseRenewer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("adopts the TTL a renewal granted, and renews at once when told the TTL changed", () => {
    const r = new LeaseRenewer();
    let renewals = 0;
    r.start({ now: false, everyMs: 30_000 }, () => renewals++);
    vi.advanceTimersByTime(30_000);
    expect(renewals).toBe(1);
    r.adopt(10); // an operator shortened the TTL to 10 s: renew every 5 s
    expect(r.intervalMs).toBe(5_000);
    vi.advanceTimersByTime(5_000);
    expect(renewals).toBe(2);
    r.renewNow();
    expect(renewals).toBe(3);
    r.stop();
    r.renewNow();
    r.adopt(60);
    vi.advanceTimersByTime(60_000);
    expect(renewals).toBe(3); // stopped stays stopped
    expect(r.intervalMs).toBe(0);
  });
});
