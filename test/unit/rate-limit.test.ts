// core/rate-limit: what a rate limit does to a job. The first is requeued at once; the n-th (n ≥ 2) waits the
// retry backoff of attempt n − 1, within its jitter band; only the first REFUNDED_RATE_LIMITS are refunded.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../src/core/lease.ts";
import { afterRateLimit, REFUNDED_RATE_LIMITS } from "../../src/core/rate-limit.ts";

const POLICY = { baseSeconds: 5, maxSeconds: 600, jitter: 0.5 };

describe("afterRateLimit", () => {
  it("requeues the first at once, refunded; the sixth is counted", () => {
    expect(afterRateLimit(1, POLICY, 0.3)).toEqual({ delayMs: 0, refund: true });
    expect(afterRateLimit(2, { ...POLICY, jitter: 0 }, 0.3)).toEqual({ delayMs: 5_000, refund: true });
    expect(afterRateLimit(REFUNDED_RATE_LIMITS, { ...POLICY, jitter: 0 }, 0).refund).toBe(true);
    expect(afterRateLimit(REFUNDED_RATE_LIMITS + 1, { ...POLICY, jitter: 0 }, 0)).toEqual({
      delayMs: 80_000,
      refund: false,
    });
  });

  it("property: the n-th waits within the jitter band of retry n − 1, never above the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.record({
          baseSeconds: fc.integer({ min: 0, max: 600 }),
          maxSeconds: fc.integer({ min: 600, max: 86_400 }),
          jitter: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (n, policy, random) => {
          const { delayMs, refund } = afterRateLimit(n, policy, random);
          const d = retryDelayMs(n - 1, { baseMs: policy.baseSeconds * 1000, capMs: policy.maxSeconds * 1000 });
          expect(delayMs).toBeLessThanOrEqual(d);
          expect(delayMs).toBeGreaterThanOrEqual((1 - policy.jitter) * d - 1e-6);
          expect(refund).toBe(n <= REFUNDED_RATE_LIMITS);
        },
      ),
    );
  });
});
