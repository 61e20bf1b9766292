// Lease math with `now` as a parameter: TTL bounds, expiry → requeue or dead letter, retry back-off, and heartbeat health.
import { describe, expect, it } from "vitest";
import {
  clampTtlSeconds,
  decideExpiry,
  factoryHealthAt,
  HEARTBEAT,
  isLeaseLive,
  LEASE_TTL,
  leaseExpiresAt,
  renewDelayMs,
  retryDelayMs,
} from "../../src/core/lease.ts";

const NOW = 1_700_000_000_000;

describe("lease TTL", () => {
  it("defaults to 60 s within [5 s, 1 h]", () => {
    expect(LEASE_TTL).toEqual({ defaultSeconds: 60, minSeconds: 5, maxSeconds: 3600 });
  });

  it("expires ttl seconds after now, in ms", () => {
    expect(leaseExpiresAt(NOW, 60)).toBe(NOW + 60_000);
    expect(leaseExpiresAt(NOW)).toBe(NOW + 60_000);
  });

  it("clamps a TTL outside the bounds and replaces a non-finite one with the default", () => {
    expect(leaseExpiresAt(NOW, 1)).toBe(NOW + 5_000);
    expect(leaseExpiresAt(NOW, 99_999)).toBe(NOW + 3_600_000);
    expect(clampTtlSeconds(Number.NaN)).toBe(60);
    expect(clampTtlSeconds(Number.POSITIVE_INFINITY)).toBe(60);
  });

  it("is live strictly before expiresAt and dead at the exact instant", () => {
    const exp = leaseExpiresAt(NOW, 60);
    expect(isLeaseLive(exp, exp - 1)).toBe(true);
    expect(isLeaseLive(exp, exp)).toBe(false);
    expect(isLeaseLive(exp, exp + 1)).toBe(false);
  });

  it("renews at half the TTL", () => {
    expect(renewDelayMs(60)).toBe(30_000);
    expect(renewDelayMs(5)).toBe(2_500);
    expect(renewDelayMs(1)).toBe(2_500); // clamped to the 5 s minimum first
    expect(renewDelayMs()).toBe(30_000);
  });
});

describe("decideExpiry", () => {
  it("requeues while attempts remain (attempt is counted at claim)", () => {
    expect(decideExpiry({ attempt: 1, maxAttempts: 3 })).toBe("requeue");
    expect(decideExpiry({ attempt: 2, maxAttempts: 3 })).toBe("requeue");
  });

  it("dead-letters on the last allowed attempt and beyond", () => {
    expect(decideExpiry({ attempt: 3, maxAttempts: 3 })).toBe("dead_letter");
    expect(decideExpiry({ attempt: 4, maxAttempts: 3 })).toBe("dead_letter");
    expect(decideExpiry({ attempt: 1, maxAttempts: 1 })).toBe("dead_letter");
  });
});

describe("retryDelayMs", () => {
  it("doubles from 5 s per attempt", () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a))).toEqual([5_000, 10_000, 20_000, 40_000, 80_000]);
  });

  it("caps at 10 minutes, even for absurd attempt numbers", () => {
    expect(retryDelayMs(8)).toBe(600_000); // 5 s · 2^7 = 640 s > cap
    expect(retryDelayMs(7)).toBe(320_000);
    expect(retryDelayMs(10_000)).toBe(600_000);
  });

  it("treats attempt 0 or negative as the first attempt", () => {
    expect(retryDelayMs(0)).toBe(5_000);
    expect(retryDelayMs(-3)).toBe(5_000);
  });

  it("honours a custom base and cap", () => {
    expect(retryDelayMs(3, { baseMs: 100 })).toBe(400);
    expect(retryDelayMs(3, { baseMs: 100, capMs: 250 })).toBe(250);
  });
});

describe("factoryHealthAt", () => {
  const I = HEARTBEAT.intervalMs;

  it("beats every 15 s and is down after 3 missed beats (core/health: one interval of grace, so 4 intervals)", () => {
    expect(HEARTBEAT).toEqual({ intervalMs: 15_000, missedBeforeDown: 3 });
  });

  it.each([
    [0, "ok"],
    [2 * I - 1, "ok"],
    [2 * I, "degraded"],
    [3 * I, "degraded"],
    [4 * I - 1, "degraded"],
    [4 * I, "down"],
    [60 * I, "down"],
  ])("is %i ms of silence → %s", (silence, health) => {
    expect(factoryHealthAt(NOW - silence, NOW)).toBe(health);
  });

  it("reports a factory that never sent a heartbeat as down", () => {
    expect(factoryHealthAt(undefined, NOW)).toBe("down");
  });
});
