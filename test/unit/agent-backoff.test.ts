// The agent's reconnect delays: partysocket's model (250 ms → ×1.5 → 10 s cap, ±20 % jitter, reset when stable).
import { describe, expect, it } from "vitest";
import { attemptAfterClose, RECONNECT, reconnectDelayMs } from "../../src/agent/backoff.ts";

const mid = () => 0.5; // no jitter
const low = () => 0; // −20 %
const high = () => 0.999999; // ≈ +20 %

describe("reconnectDelayMs", () => {
  it("starts at the minimum and grows by the factor", () => {
    expect(reconnectDelayMs(0, mid)).toBe(250);
    expect(reconnectDelayMs(1, mid)).toBe(375);
    expect(reconnectDelayMs(2, mid)).toBe(563);
    expect(reconnectDelayMs(5, mid)).toBe(Math.round(250 * 1.5 ** 5));
  });

  it("never exceeds the cap, even with jitter pushing up or absurd attempts", () => {
    expect(reconnectDelayMs(9, mid)).toBe(9611);
    expect(reconnectDelayMs(10, mid)).toBe(RECONNECT.maxMs);
    expect(reconnectDelayMs(50, high)).toBe(RECONNECT.maxMs);
    expect(reconnectDelayMs(1e9, high)).toBe(RECONNECT.maxMs);
  });

  it("spreads delays by ±20 % so a fleet does not reconnect in lockstep", () => {
    expect(reconnectDelayMs(0, low)).toBe(200);
    expect(reconnectDelayMs(0, high)).toBe(300);
    expect(reconnectDelayMs(20, low)).toBe(8000);
  });

  it("treats nonsense attempt numbers as the first attempt", () => {
    expect(reconnectDelayMs(-3, mid)).toBe(250);
    expect(reconnectDelayMs(Number.NaN, mid)).toBe(250);
  });
});

describe("attemptAfterClose", () => {
  it("resets after a connection that stayed up long enough to count as stable", () => {
    expect(attemptAfterClose(7, RECONNECT.stableAfterMs)).toBe(0);
    expect(attemptAfterClose(7, 60_000)).toBe(0);
  });

  it("keeps counting after a connection that never opened or died at once", () => {
    expect(attemptAfterClose(7, undefined)).toBe(7);
    expect(attemptAfterClose(7, RECONNECT.stableAfterMs - 1)).toBe(7);
  });
});
