// core/outage-grace: a coordinator instance was down iff its oldest held lease is overdue by more than the slack;
// then a held lease runs at least max(TTL, 30 s) from the start, and never gets shorter.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extendedExpiry, OUTAGE_GRACE_MIN_SECONDS, OUTAGE_SLACK_MS, wasDown } from "../../src/core/outage-grace.ts";

describe("outage grace", () => {
  it("tells an outage from an on-time start", () => {
    const now = 1_700_000_000_000;
    expect(wasDown(undefined, now)).toBe(false);
    expect(wasDown(now - OUTAGE_SLACK_MS + 1, now)).toBe(false);
    expect(wasDown(now - OUTAGE_SLACK_MS, now)).toBe(true);
    expect(wasDown(now + 10_000, now)).toBe(false);
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
});
