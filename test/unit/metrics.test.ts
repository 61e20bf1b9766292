// The dispatch-latency rules (core/metrics): a job is due at the later of queuedAt and notBefore, latency is never
// negative, every sample lands in the first bucket whose bound is ≥ it, bucket counts always sum to the count and the
// cumulative series ends at it, and quantiles read back from the buckets stay inside the right bucket — one whose rank
// is in the +Inf bucket is flagged `over` (a lower bound), exactly when the true sample is past the last bound.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bucketIndex,
  cumulativeBuckets,
  dispatchLatencyMs,
  dueAt,
  emptyHistogram,
  LATENCY_BUCKETS_MS,
  observe,
  quantileEstimate,
  quantileMs,
  ratio,
} from "../../src/core/metrics.ts";

const latency = fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.double({ min: 0, max: 1e7, noNaN: true }));

/** For any 1–100 samples and q in [0.01, 1]: `check` gets the sample at q's rank (the exact quantile), q and the buckets. */
function forAnyQuantile(check: (exact: number, q: number, buckets: ReturnType<typeof cumulativeBuckets>) => void) {
  fc.assert(
    fc.property(
      fc.array(latency, { minLength: 1, maxLength: 100 }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      (s, q) => {
        const sorted = [...s].sort((a, b) => a - b);
        const exact = sorted[Math.max(0, Math.ceil(q * s.length) - 1)]!;
        check(exact, q, cumulativeBuckets(s.reduce(observe, emptyHistogram())));
      },
    ),
  );
}

describe("dispatch latency", () => {
  it("counts from the later of queuedAt and notBefore, never below 0", () => {
    expect(dueAt(1_000, undefined)).toBe(1_000);
    expect(dueAt(1_000, 5_000)).toBe(5_000);
    expect(dueAt(5_000, 1_000)).toBe(5_000);
    expect(dispatchLatencyMs(1_000, 5_000, 5_040)).toBe(40);
    expect(dispatchLatencyMs(1_000, 5_000, 4_000)).toBe(0); // granted before due (operator forced it)
    fc.assert(
      fc.property(fc.nat(), fc.option(fc.nat(), { nil: undefined }), fc.nat(), (q, nb, now) => {
        const ms = dispatchLatencyMs(q, nb, now);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBe(Math.max(0, now - Math.max(q, nb ?? q)));
      }),
    );
  });

  it("puts each sample in the first bucket whose bound is ≥ it (+Inf past the last)", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(5)).toBe(0);
    expect(bucketIndex(5.01)).toBe(1);
    expect(bucketIndex(10_000)).toBe(LATENCY_BUCKETS_MS.length - 1);
    expect(bucketIndex(10_001)).toBe(LATENCY_BUCKETS_MS.length);
    expect(() => bucketIndex(-1)).toThrow(RangeError);
    expect(() => bucketIndex(Number.NaN)).toThrow(RangeError);
    fc.assert(
      fc.property(latency, (ms) => {
        const i = bucketIndex(ms);
        const bound = LATENCY_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY;
        expect(ms).toBeLessThanOrEqual(bound);
        if (i > 0) expect(ms).toBeGreaterThan(LATENCY_BUCKETS_MS[i - 1]!);
      }),
    );
  });

  it("keeps bucket counts summing to the count, and the cumulative series non-decreasing up to it", () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 200 }), (samples) => {
        const h = samples.reduce(observe, emptyHistogram());
        expect(h.count).toBe(samples.length);
        expect(h.counts.reduce((a, b) => a + b, 0)).toBe(h.count);
        expect(h.sumMs).toBeCloseTo(
          samples.reduce((a, b) => a + b, 0),
          0,
        );
        const cum = cumulativeBuckets(h);
        expect(cum).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
        expect(cum.at(-1)).toEqual({ le: "+Inf", count: samples.length });
        for (let i = 0; i < cum.length; i++) {
          if (i > 0) expect(cum[i]!.count).toBeGreaterThanOrEqual(cum[i - 1]!.count);
          const le = cum[i]!.le;
          expect(cum[i]!.count).toBe(samples.filter((s) => le === "+Inf" || s <= le).length);
        }
      }),
    );
  });

  it("reads quantiles back inside the bucket that holds the rank", () => {
    expect(quantileMs(cumulativeBuckets(emptyHistogram()), 0.5)).toBeUndefined();
    expect(() => quantileMs([], 0)).toThrow(RangeError);
    const h = [3, 3, 3, 40].reduce(observe, emptyHistogram());
    expect(quantileMs(cumulativeBuckets(h), 0.5)).toBeCloseTo(5 * (2 / 3)); // 2nd of 3 samples in (0, 5]
    expect(quantileMs(cumulativeBuckets(h), 1)).toBe(50);
    expect(quantileEstimate(cumulativeBuckets(h), 1)).toEqual({ ms: 50, over: false });
    forAnyQuantile((exact, q, buckets) => {
      const est = quantileMs(buckets, q)!;
      const i = bucketIndex(exact);
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const upper = LATENCY_BUCKETS_MS[i] ?? LATENCY_BUCKETS_MS.at(-1)!;
      expect(est).toBeGreaterThanOrEqual(Math.min(lower, upper) - 1e-9);
      expect(est).toBeLessThanOrEqual(upper + 1e-9);
    });
  });

  it("flags a quantile in the +Inf bucket as over the last bound, never as exactly it", () => {
    // R2's fleet: 5 of 26 dispatches over 10 s, so p99's rank (25.74) is in +Inf; p50's is not.
    const h = [...Array(21).fill(40), ...Array(5).fill(60_000)].reduce(observe, emptyHistogram());
    expect(quantileEstimate(cumulativeBuckets(h), 0.99)).toEqual({ ms: 10_000, over: true });
    expect(quantileEstimate(cumulativeBuckets(h), 0.5)?.over).toBe(false);
    forAnyQuantile((exact, q, buckets) => {
      // "over" exactly when the sample at the rank is past the last finite bound.
      expect(quantileEstimate(buckets, q)!.over).toBe(exact > LATENCY_BUCKETS_MS.at(-1)!);
    });
  });

  it("divides safely: utilisation and success rates are in [0, 1], 0 over nothing", () => {
    expect(ratio(3, 0)).toBe(0);
    expect(ratio(1, 4)).toBe(0.25);
    fc.assert(fc.property(fc.nat(), fc.nat(), (a, b) => ratio(a, b) >= 0 && ratio(a, b) <= 1));
  });
});
