// What a factory is routed on: declared capabilities only within the grant (the rest pending approval), seats
// capped by the enrolled limit, and health degraded by repeated lease expiries (also when the clock steps back).
import { describe, expect, it } from "vitest";
import { approvalOf, effectiveGrant } from "../../src/core/capability-grant.ts";
import { EXPIRY_HEALTH, factoryHealth, HEARTBEAT, recentExpiries, recordExpiry } from "../../src/core/lease.ts";

const NOW = 1_700_000_000_000;

describe("capability grant", () => {
  it("routes on approved ∩ declared, keeps the rest pending, and caps seats", () => {
    expect(
      effectiveGrant({
        approved: ["os:linux", "has:docker"],
        declared: ["os:linux", "gpu"],
        seatLimit: 2,
        declaredSeats: 8,
      }),
    ).toEqual({ capabilities: ["os:linux"], pending: ["gpu"], seats: 2 });
  });

  it("uses the grant alone before the factory declared anything", () => {
    expect(effectiveGrant({ approved: ["b", "a"], seatLimit: 3 })).toEqual({
      capabilities: ["a", "b"],
      pending: [],
      seats: 3,
    });
  });

  it("gives fewer seats when the factory declares fewer", () => {
    expect(effectiveGrant({ approved: [], seatLimit: 4, declaredSeats: 1 }).seats).toBe(1);
  });

  it("approves every pending capability by default, or the named ones; an undeclared name is refused", () => {
    const g = { approved: ["a"], declared: ["a", "b", "c"], seatLimit: 1 };
    expect(approvalOf(g)).toEqual({ approve: ["b", "c"], undeclared: [] });
    expect(approvalOf(g, ["c"])).toEqual({ approve: ["c"], undeclared: [] });
    expect(approvalOf(g, ["a"])).toEqual({ approve: [], undeclared: [] });
    expect(approvalOf(g, ["gpu", "b"])).toEqual({ approve: ["b"], undeclared: ["gpu"] });
  });
});

describe("health from lease expiries", () => {
  const beat = NOW - 1_000;

  it("is degraded after expiriesBeforeDegraded expiries in the window, ok again once they age out", () => {
    let record: number[] = [];
    for (let i = 0; i < EXPIRY_HEALTH.expiriesBeforeDegraded - 1; i++) record = recordExpiry(record, NOW - 60_000 + i);
    expect(factoryHealth(beat, record, NOW)).toBe("ok");
    record = recordExpiry(record, NOW);
    expect(factoryHealth(beat, record, NOW)).toBe("degraded");
    const later = NOW + EXPIRY_HEALTH.windowMs;
    expect(factoryHealth(later - 1_000, record, later)).toBe("ok");
  });

  it("never reports better than the heartbeat says", () => {
    expect(factoryHealth(undefined, [], NOW)).toBe("down");
    expect(factoryHealth(NOW - HEARTBEAT.intervalMs * 5, [NOW, NOW, NOW], NOW)).toBe("down");
  });

  it("keeps a bounded record: only the last few instants inside the window", () => {
    let record: number[] = [];
    for (let i = 0; i < 100; i++) record = recordExpiry(record, NOW + i);
    expect(record).toHaveLength(EXPIRY_HEALTH.expiriesBeforeDegraded);
    expect(recordExpiry([NOW - EXPIRY_HEALTH.windowMs - 1], NOW)).toEqual([NOW]);
    expect(recentExpiries(undefined, NOW)).toBe(0);
  });

  it("a clock stepping back keeps the expiries recorded before it: the factory stays degraded", () => {
    let record: number[] = [];
    for (let i = 0; i < EXPIRY_HEALTH.expiriesBeforeDegraded; i++) record = recordExpiry(record, NOW + i * 1000);
    const back = NOW - 5_000; // the coordinator's clock stepped back 5 s (a move to another host)
    expect(recentExpiries(record, back)).toBe(EXPIRY_HEALTH.expiriesBeforeDegraded);
    expect(factoryHealth(back, record, back)).toBe("degraded");
  });
});
