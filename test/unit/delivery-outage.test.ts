// How long the outbox rides out an outage (core/delivery-outage): a round in which every destination failed counts no
// try while the outage is younger than the retry schedule's horizon (254 s), and counts after — so a record refused
// in every round of an outage of any length, its rounds at any pace the outage backoff allows, is dead-lettered by
// `deadLetteredBy`, and never before the outage has lasted the horizon and its own tries (a minute's restart costs none).
// A reader refused in a backoff window is told to wait the window's remaining time, whole seconds, 1 s to the cap.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  deadLetteredBy,
  OUTAGE_HORIZON_MS,
  RETRY_HORIZON_MS,
  ridesOutOutage,
  windowRetryAfterSeconds,
} from "../../src/core/delivery-outage.ts";
import { afterFailure, RETRY_CAP_MS } from "../../src/core/delivery-retry.ts";

/**
 * One record refused in every round from `since` (ms): rounds ridden out as an outage come `gaps` apart (the whole
 * outbox's backoff, 1 s … RETRY_CAP_MS), counted ones when the record's retry is due plus `lates` (≤ `lateMs`).
 * @returns when it was dead-lettered (ms) and the first round that counted a try
 */
function refusedThroughout(since: number, gaps: number[], lates: number[]) {
  let now = since;
  let attempts = 0;
  let firstCounted: number | undefined;
  // An outage ridden out for ever never ends: past 100,000 rounds, the record counts as never dead-lettered.
  for (let round = 0; round < 100_000; round++) {
    if (ridesOutOutage(since, now)) {
      now += gaps[round % gaps.length] ?? 1_000;
      continue;
    }
    firstCounted ??= now;
    const d = afterFailure(attempts, now, "refused");
    if (d.kind === "dead_letter") return { deadAt: now, firstCounted };
    attempts = d.attempts;
    now = d.nextAt + (lates[round % lates.length] ?? 0);
  }
  return { deadAt: Number.POSITIVE_INFINITY, firstCounted: firstCounted ?? Number.POSITIVE_INFINITY };
}

describe("an outage's rounds", () => {
  it("are ridden out for the retry schedule's horizon, 254 s, then counted", () => {
    expect([RETRY_HORIZON_MS, OUTAGE_HORIZON_MS]).toEqual([254_000, 254_000]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 10 * 3_600_000 }), (since, age) => {
        expect(ridesOutOutage(since, since + age)).toBe(age < OUTAGE_HORIZON_MS);
      }),
    );
  });

  it("dead-letter a record refused in every one of them by deadLetteredBy, never within a minute's restart", () => {
    const lateMs = 1_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.array(fc.integer({ min: 1_000, max: RETRY_CAP_MS }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: lateMs }), { minLength: 1, maxLength: 20 }),
        (since, gaps, lates) => {
          const { deadAt, firstCounted } = refusedThroughout(since, gaps, lates);
          expect(firstCounted).toBeGreaterThanOrEqual(since + OUTAGE_HORIZON_MS);
          expect(deadAt).toBeGreaterThanOrEqual(since + OUTAGE_HORIZON_MS + RETRY_HORIZON_MS);
          expect(deadAt).toBeLessThanOrEqual(deadLetteredBy(since, lateMs));
        },
      ),
    );
  });
});

describe("windowRetryAfterSeconds", () => {
  it("is the window's remaining time in whole seconds, rounded up", () => {
    expect(windowRetryAfterSeconds(128_000, 0)).toBe(128);
    expect(windowRetryAfterSeconds(10_001, 0)).toBe(11);
    expect(windowRetryAfterSeconds(60_000, 59_999)).toBe(1);
  });

  it("is never under 1 s nor past the retry cap, whatever the window's end", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (now, d) => {
        const wait = windowRetryAfterSeconds(now + d, now);
        expect(Number.isInteger(wait)).toBe(true);
        expect(wait).toBeGreaterThanOrEqual(1);
        expect(wait).toBeLessThanOrEqual(RETRY_CAP_MS / 1000);
        if (d > 0 && d <= RETRY_CAP_MS) expect(wait * 1000).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
