// The dashboard's metrics tiles read p50/p99 off the histogram with the same rule as the coordinator's core
// (dashboard/metrics.js `quantile` equals core/metrics `quantileMs` for any histogram and quantile), so the page, the
// CLI and a Prometheus histogram_quantile agree.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { quantile } from "../../dashboard/metrics.js";
import { cumulativeBuckets, emptyHistogram, observe, quantileMs } from "../../src/core/metrics.ts";

describe("dashboard latency tiles", () => {
  it("estimate quantiles exactly as core/metrics does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 50_000, noNaN: true }), { maxLength: 60 }),
        fc.constantFrom(0.5, 0.9, 0.99, 1),
        (samples, q) => {
          const buckets = cumulativeBuckets(samples.reduce(observe, emptyHistogram()));
          expect(quantile(buckets, q)).toBe(quantileMs(buckets, q));
        },
      ),
    );
  });
});
