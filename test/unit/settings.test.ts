// Product settings (core/settings): defaults fill what was never stored, a patch merges key by key and is strict,
// the lease TTL a job gets (manifest, else product; a factory may only shorten it), and the retry backoff's jitter
// stays within [(1 − jitter)·d, d] and never above the cap (fast-check).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jitteredRetryDelayMs, LEASE_TTL, retryDelayMs } from "../../src/core/lease.ts";
import { validateManifest } from "../../src/core/manifest.ts";
import { DEFAULT_WEIGHTS, orderJobs, starvationPenalty } from "../../src/core/router.ts";
import {
  applySettingsPatch,
  DEFAULT_SETTINGS,
  grantedLeaseTtl,
  leaseTtlFor,
  SettingsPatchSchema,
  withDefaults,
} from "../../src/core/settings.ts";

describe("withDefaults", () => {
  it("reads nothing stored as the defaults, and fills the keys a partial record lacks", () => {
    expect(withDefaults(undefined)).toEqual(DEFAULT_SETTINGS);
    const partial = withDefaults({ preemption: true, weights: { load: 2 } as never, retry: { jitter: 0 } as never });
    expect(partial.preemption).toBe(true);
    expect(partial.weights).toEqual({ ...DEFAULT_SETTINGS.weights, load: 2 });
    expect(partial.retry).toEqual({ ...DEFAULT_SETTINGS.retry, jitter: 0 });
    expect(partial.leaseTtlSeconds).toBe(60);
    expect(partial.agingHorizonMinutes).toBe(30);
  });
});

describe("applySettingsPatch", () => {
  it.each([
    [{ preemption: true }, { preemption: true }],
    [{ leaseTtlSeconds: 120 }, { leaseTtlSeconds: 120 }],
    [{ agingHorizonMinutes: 5 }, { agingHorizonMinutes: 5 }],
    [{ weights: { load: 2 } }, { weights: { ...DEFAULT_SETTINGS.weights, load: 2 } }],
    [{ retry: { baseSeconds: 10 } }, { retry: { ...DEFAULT_SETTINGS.retry, baseSeconds: 10 } }],
  ])("merges %j key by key, leaving the rest", (patch, expected) => {
    const before = withDefaults(undefined);
    const after = applySettingsPatch(before, SettingsPatchSchema.parse(patch));
    expect(after).toEqual({ ...before, ...expected });
    expect(before).toEqual(DEFAULT_SETTINGS); // input untouched
  });

  it("refuses a retry whose cap is below its base, whichever side the patch moved", () => {
    const s = withDefaults(undefined);
    expect(() => applySettingsPatch(s, { retry: { maxSeconds: 1 } })).toThrow(RangeError);
    expect(() => applySettingsPatch(s, { retry: { baseSeconds: 601 } })).toThrow(/maxSeconds \(600\)/);
  });
});

describe("SettingsPatchSchema", () => {
  it.each([
    ["an unknown key", { preemptoin: true }],
    ["an unknown weight", { weights: { speed: 1 } }],
    ["an unknown retry key", { retry: { tries: 3 } }],
    ["a negative weight", { weights: { load: -1 } }],
    ["a weight above 100", { weights: { load: 101 } }],
    ["a TTL below the minimum", { leaseTtlSeconds: LEASE_TTL.minSeconds - 1 }],
    ["a TTL above the maximum", { leaseTtlSeconds: LEASE_TTL.maxSeconds + 1 }],
    ["a fractional TTL", { leaseTtlSeconds: 60.5 }],
    ["jitter above 1", { retry: { jitter: 1.5 } }],
    ["an aging horizon of 0", { agingHorizonMinutes: 0 }],
    ["preemption as a string", { preemption: "yes" }],
    ["frozenSerialKeys (written by the serial-gate endpoints only)", { frozenSerialKeys: ["x"] }],
  ])("refuses %s", (_what, patch) => {
    expect(SettingsPatchSchema.safeParse(patch).success).toBe(false);
  });

  it("accepts an empty patch", () => {
    expect(SettingsPatchSchema.parse({})).toEqual({});
  });
});

describe("leaseTtlFor and grantedLeaseTtl", () => {
  it.each([
    [undefined, 60, 60],
    [undefined, 120, 120],
    [300, 60, 300],
    [10, 600, 10],
  ])("manifest %s, product %s → %s s", (own, product, expected) => {
    expect(leaseTtlFor({ leaseTtlSeconds: own }, { leaseTtlSeconds: product })).toBe(expected);
  });

  it.each([
    [60, undefined, 60],
    [60, 5, 5],
    [60, 3600, 60],
    [120, 120, 120],
  ])("governing %s, factory asked %s → %s s: a factory may shorten a lease, never lengthen it", (gov, asked, out) => {
    expect(grantedLeaseTtl(gov, asked)).toBe(out);
  });

  it("reads a manifest's own TTL, bounded like the product's", () => {
    expect(validateManifest({ title: "t", leaseTtlSeconds: 300 }).leaseTtlSeconds).toBe(300);
    expect(validateManifest({ title: "t" }).leaseTtlSeconds).toBeUndefined();
    for (const bad of [LEASE_TTL.minSeconds - 1, LEASE_TTL.maxSeconds + 1, 30.5, "60"]) {
      expect(() => validateManifest({ title: "t", leaseTtlSeconds: bad })).toThrow(/leaseTtlSeconds/);
    }
  });
});

describe("jitteredRetryDelayMs", () => {
  const policy = { baseSeconds: 5, maxSeconds: 600, jitter: 0.5 };

  it.each([
    [1, 0, 5_000],
    [1, 0.5, 3_750],
    [2, 0, 10_000],
    [3, 0.999, 10_010], // 20 000 · (1 − 0.5 · 0.999), whole ms
    [1, 0.3, 4_250],
    [1, 0.123456, 4_692], // 5 000 · (1 − 0.5 · 0.123456) = 4 691.36 → up to the next ms
    [10, 0, 600_000], // 5 s · 2^9 = 2560 s > the 600 s cap
  ])("attempt %s, random %s → %s ms", (attempt, random, expected) => {
    expect(jitteredRetryDelayMs(attempt, policy, random)).toBe(expected);
  });

  it("without jitter is exactly the capped exponential", () => {
    for (const attempt of [1, 2, 3, 8, 20]) {
      expect(jitteredRetryDelayMs(attempt, { ...policy, jitter: 0 }, 0.7)).toBe(
        retryDelayMs(attempt, { baseMs: 5_000, capMs: 600_000 }),
      );
    }
  });

  it("is whole ms in [(1 − jitter)·d, ⌈d⌉], d = min(max, base·2^(attempt−1)), never above ⌈max⌉", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2, max: 60 }),
        fc.double({ min: 0, max: 86_400, noNaN: true }),
        fc.double({ min: 0, max: 7 * 86_400, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (attempt, baseSeconds, extra, jitter, random) => {
          const p = { baseSeconds, maxSeconds: Math.min(7 * 86_400, baseSeconds + extra), jitter };
          const d = Math.min(p.maxSeconds * 1000, baseSeconds * 1000 * 2 ** Math.max(0, attempt - 1));
          const delay = jitteredRetryDelayMs(attempt, p, random);
          // Whole ms: the coordinator adds it to `now` for `notBefore`, an integer ms epoch (shared/api-responses).
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeLessThanOrEqual(Math.ceil(d));
          expect(delay).toBeGreaterThanOrEqual((1 - jitter) * d - 1e-6);
          expect(delay).toBeLessThanOrEqual(Math.ceil(p.maxSeconds * 1000));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never exceeds d when the policy is set in whole ms (every setting to 3 decimals)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.integer({ min: 0, max: 7 * 86_400_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (attempt, baseMs, extraMs, jitter, random) => {
          const p = { baseSeconds: baseMs / 1000, maxSeconds: (baseMs + extraMs) / 1000, jitter };
          const d = Math.min(baseMs + extraMs, baseMs * 2 ** (attempt - 1));
          expect(jitteredRetryDelayMs(attempt, p, random)).toBeLessThanOrEqual(d);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("the aging horizon (settings.agingHorizonMinutes) in the router", () => {
  it.each([
    [0, 30 * 60_000, 1],
    [15 * 60_000, 30 * 60_000, 0.5],
    [15 * 60_000, 10 * 60_000, 0],
    [5 * 60_000, 10 * 60_000, 0.5],
    [5 * 60_000, 0, 0],
  ])("age %s ms, horizon %s ms → penalty %s", (age, horizon, expected) => {
    expect(starvationPenalty(age, horizon)).toBeCloseTo(expected, 9);
  });

  it("defaults to 30 minutes, and a shorter horizon lets an aged low job overtake a fresh medium one sooner", () => {
    expect(starvationPenalty(15 * 60_000)).toBe(0.5);
    const job = (id: string, priority: "low" | "medium", queuedAt: number) =>
      ({ id, priority, queuedAt, stage: "queued" }) as unknown as Parameters<typeof orderJobs>[0][number];
    const now = 10 * 60_000;
    const jobs = [job("fresh-medium", "medium", now), job("aged-low", "low", 0)];
    expect(orderJobs(jobs, now).map((j) => j.id)).toEqual(["fresh-medium", "aged-low"]);
    expect(orderJobs(jobs, now, DEFAULT_WEIGHTS, 10 * 60_000).map((j) => j.id)).toEqual(["aged-low", "fresh-medium"]);
  });
});
