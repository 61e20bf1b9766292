// core/outage-grace: a coordinator instance was down iff its oldest held lease is overdue by more than the slack;
// a holder's leases get the grace iff its link went down with the coordinator (stored connected, no socket attached)
// or, its link unknown (an HTTP poller), the instance was down; then a held lease runs at least max(TTL, 30 s) from
// the start, never gets shorter, never more than that grace — and a holder whose disconnect was recorded, or whose
// socket is attached, is never extended (a dead agent's lease expires on time).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  expiryAtStart,
  extendedExpiry,
  holderGraced,
  OUTAGE_GRACE_MIN_SECONDS,
  OUTAGE_SLACK_MS,
  wasDown,
} from "../../src/core/outage-grace.ts";

describe("outage grace", () => {
  it("tells an outage from an on-time start", () => {
    const now = 1_700_000_000_000;
    expect(wasDown(undefined, now)).toBe(false);
    expect(wasDown(now - OUTAGE_SLACK_MS + 1, now)).toBe(false);
    expect(wasDown(now - OUTAGE_SLACK_MS, now)).toBe(true);
    expect(wasDown(now + 10_000, now)).toBe(false);
  });

  it("graces a holder by its link: lost with the coordinator yes, attached or seen closing no, unknown by timing", () => {
    for (const down of [false, true]) {
      expect(holderGraced({ connected: true, attached: false }, down)).toBe(true);
      expect(holderGraced({ connected: true, attached: true }, down)).toBe(false);
      expect(holderGraced({ connected: false, attached: false }, down)).toBe(false);
      expect(holderGraced({ connected: undefined, attached: true }, down)).toBe(false);
      expect(holderGraced({ connected: undefined, attached: false }, down)).toBe(down);
    }
  });

  it("property: the extended expiry is ≥ the old one and ≥ now + max(TTL, 30 s), and equal to one of them", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: -(10 ** 7), max: 10 ** 7 }),
        fc.integer({ min: 5, max: 3600 }),
        (now, offset, ttl) => {
          const old = now + offset;
          const floor = now + Math.max(ttl, OUTAGE_GRACE_MIN_SECONDS) * 1000;
          const got = extendedExpiry(old, now, ttl);
          expect(got).toBeGreaterThanOrEqual(old);
          expect(got).toBeGreaterThanOrEqual(floor);
          expect([old, floor]).toContain(got);
        },
      ),
    );
  });

  it("property: at a start, a lease is never shortened, never graced past max(TTL, 30 s) from now, and never extended for a holder seen closing or attached", () => {
    const link = fc.record({ connected: fc.constantFrom(true, false, undefined), attached: fc.boolean() });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: -(10 ** 7), max: 10 ** 7 }),
        fc.integer({ min: 5, max: 3600 }),
        link,
        fc.boolean(),
        (now, offset, ttl, l, down) => {
          const old = now + offset;
          const got = expiryAtStart(old, ttl, l, down, now);
          expect(got).toBeGreaterThanOrEqual(old);
          expect(got).toBeLessThanOrEqual(Math.max(old, now + Math.max(ttl, OUTAGE_GRACE_MIN_SECONDS) * 1000));
          if (l.connected === false || l.attached) expect(got).toBe(old);
          if (l.connected === true && !l.attached) expect(got).toBeGreaterThanOrEqual(now + ttl * 1000);
        },
      ),
    );
  });
});
