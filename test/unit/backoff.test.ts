// The queue consumers' one backoff rule (core/backoff): exponential with full jitter — each delay drawn from 0 up to
// a ceiling that doubles from the base with every try and stops at the cap — exact for a given `random`, and within
// its bounds for any attempts and any `random` (property), so the messages of a batch that failed together are
// spread over their whole range instead of all retrying in the same second. And a receiver's `Retry-After`, read in
// both of its forms (delay-seconds, HTTP-date), anything else not a wait at all.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  backoffCeilingSeconds,
  backoffSeconds,
  QUEUE_BACKOFF,
  QUEUE_MAX_DELAY_SECONDS,
  retryAfterSeconds,
} from "../../src/core/backoff.ts";

describe("backoffSeconds", () => {
  it("draws uniformly from 0 to the ceiling, both ends included", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeilingSeconds(n, QUEUE_BACKOFF))).toEqual([
      2, 4, 8, 16, 32, 60, 60,
    ]);
    expect(backoffSeconds(3, QUEUE_BACKOFF, 0)).toBe(0);
    expect(backoffSeconds(3, QUEUE_BACKOFF, 0.5)).toBe(4); // ⌊0.5 · 9⌋
    expect(backoffSeconds(3, QUEUE_BACKOFF, 0.999_999)).toBe(8);
    expect(backoffSeconds(1, QUEUE_BACKOFF, 0.4)).toBe(1); // ⌊0.4 · 3⌋
    expect(backoffSeconds(9, QUEUE_BACKOFF, 0.25)).toBe(15); // ⌊0.25 · 61⌋
  });

  it("clamps a random outside [0, 1) and an attempts count below 1 or not a number", () => {
    expect(backoffSeconds(3, QUEUE_BACKOFF, 1)).toBe(8);
    expect(backoffSeconds(3, QUEUE_BACKOFF, 7)).toBe(8);
    expect(backoffSeconds(3, QUEUE_BACKOFF, -1)).toBe(0);
    expect(backoffSeconds(3, QUEUE_BACKOFF, Number.NaN)).toBe(0);
    expect(backoffCeilingSeconds(0, QUEUE_BACKOFF)).toBe(2);
    expect(backoffCeilingSeconds(Number.NaN, QUEUE_BACKOFF)).toBe(2);
    expect(backoffCeilingSeconds(1e9, { baseSeconds: 2, capSeconds: 1e9 })).toBe(QUEUE_MAX_DELAY_SECONDS);
  });

  it("is a whole number of seconds in 0 … min(cap, base · 2^(attempts−1)), growing with random (property)", () => {
    const backoff = fc.record({
      baseSeconds: fc.integer({ min: 1, max: 600 }),
      capSeconds: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 2_000 }),
        backoff,
        fc.double({ min: -1, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (attempts, b, r, s) => {
          const ceiling = Math.min(
            b.capSeconds,
            b.baseSeconds * 2 ** (Math.max(1, attempts) - 1),
            QUEUE_MAX_DELAY_SECONDS,
          );
          expect(backoffCeilingSeconds(attempts, b)).toBe(ceiling);
          const d = backoffSeconds(attempts, b, r);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(ceiling);
          const [lo, hi] = r <= s ? [r, s] : [s, r];
          expect(backoffSeconds(attempts, b, lo)).toBeLessThanOrEqual(backoffSeconds(attempts, b, hi));
        },
      ),
    );
  });

  it("reaches every second of its range: a batch's retries spread, not one herd", () => {
    const seen = new Set(Array.from({ length: 1_000 }, (_, i) => backoffSeconds(4, QUEUE_BACKOFF, i / 1_000)));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 17 }, (_, i) => i));
  });
});

describe("retryAfterSeconds", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads delay-seconds and the three HTTP-date forms, a past date as 0", () => {
    expect(retryAfterSeconds("120", now)).toBe(120);
    expect(retryAfterSeconds(" 0 ", now)).toBe(0);
    expect(retryAfterSeconds("Thu, 01 Jan 2026 00:01:30 GMT", now)).toBe(90);
    expect(retryAfterSeconds("Thursday, 01-Jan-26 00:00:10 GMT", now)).toBe(10);
    expect(retryAfterSeconds("Thu Jan  1 00:00:05 2026", now)).toBeGreaterThanOrEqual(0);
    expect(retryAfterSeconds("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });

  it("is no wait at all for anything else: the caller keeps its own schedule", () => {
    for (const h of [null, undefined, "", "  ", "-5", "1.5", "soon", "1e3", "Thu, nonsense GMT"])
      expect(retryAfterSeconds(h, now)).toBeUndefined();
  });
});
