/**
 * @module core/settings
 * A product's settings record (SPEC §6, issue "fleet policies"): what an operator
 * may change about how the coordinator governs the product's fleet. One zod
 * schema validates a PATCH at the boundary; `applySettingsPatch` merges it into
 * the stored record; `withDefaults` fills what was never set, so a record written
 * by an older version (or never written) always reads as a complete one.
 *
 * Later policies (budgets, breakers, learned routing) add their keys here, in
 * `SettingsPatchSchema` and `ProductSettings` both, with a default.
 */
import { z } from "zod";
import { clampTtlSeconds, LEASE_TTL } from "./lease.ts";
import type { Manifest, RouterWeights } from "./model.ts";
import { applyPricesPatch, PricesPatchSchema, type PriceTable } from "./prices.ts";
import { DEFAULT_WEIGHTS } from "./router.ts";
import type {
  BreakerSettings,
  ErrorBudgetSettings,
  HealthThresholds,
  RetrySettings,
  RoutingSettings,
} from "./settings-policies.ts";
import { DEFAULT_MIN_SAMPLES, type RoutingObjective } from "./track-term.ts";

export type { BreakerSettings, ErrorBudgetSettings, HealthThresholds, RetrySettings, RoutingSettings };

export interface ProductSettings {
  /** Whether a `critical` job that fits no free seat may stop a lower-priority running job. */
  preemption: boolean;
  /** The product's default lease TTL, s (a manifest's own `leaseTtlSeconds` wins). */
  leaseTtlSeconds: number;
  /** Router weights (SPEC §5). */
  weights: RouterWeights;
  /** After this many minutes in `queued`, a job's starvation penalty is fully gone (aging), min. */
  agingHorizonMinutes: number;
  retry: RetrySettings;
  /** Serial keys an operator froze: no job holding one is dispatched. Written by the serial-gate endpoints only. */
  frozenSerialKeys: string[];
  /** Dispatch paused by the money policies. Written by the budget endpoints only. */
  budgetPaused: boolean;
  /** When a job's engine has an open breaker on a factory: `route` it elsewhere if anything fits, or `hold` it. */
  overflow: "route" | "hold";
  breaker: BreakerSettings;
  errorBudget: ErrorBudgetSettings;
  health: HealthThresholds;
  routing: RoutingSettings;
  /** USD per million tokens per engine key, for tokens no USD came for (core/prices); `{}`: none priced. */
  prices: PriceTable;
}

export const DEFAULT_SETTINGS: Readonly<ProductSettings> = Object.freeze({
  preemption: false,
  leaseTtlSeconds: LEASE_TTL.defaultSeconds,
  weights: { ...DEFAULT_WEIGHTS },
  agingHorizonMinutes: 30,
  retry: { baseSeconds: 5, maxSeconds: 600, jitter: 0.5 },
  frozenSerialKeys: [],
  budgetPaused: false,
  overflow: "route",
  breaker: { failureThreshold: 5, coolDownSeconds: 60, maxCoolDownSeconds: 3600 },
  errorBudget: { windowMinutes: 60, maxFailures: 10 },
  health: { stuckAfterMinutes: 30, starvingAfterMinutes: 60, expectedFinishIntervalMinutes: 30 },
  routing: { objective: "success_per_usd" as RoutingObjective, minSamples: DEFAULT_MIN_SAMPLES },
  prices: Object.freeze({}) as PriceTable,
});

/**
 * An alert threshold, min: fractions allowed (0.05 min = 3 s) so a test or a fast fleet can say "seconds" without a
 * second unit; at most a week.
 */
const ThresholdMinutes = z
  .number()
  .finite()
  .min(0.05)
  .max(7 * 24 * 60);

/** A weight is a finite, non-negative number at most 100 (a larger one would drown every other term). */
const Weight = z.number().finite().min(0).max(100);

/** Router weights to change, any subset (settings, and an experiment arm's override: issue 11). */
export const WeightsPatchSchema = z
  .object({
    capabilityFit: Weight,
    affinity: Weight,
    load: Weight,
    costFit: Weight,
    health: Weight,
    starvation: Weight,
    track: Weight,
  })
  .partial()
  .strict();

/**
 * What `PATCH …/settings` accepts: any subset of the operator-settable keys; nested
 * objects merge key by key. Strict: an unknown key is a 400, not silently ignored.
 */
export const SettingsPatchSchema = z
  .object({
    preemption: z.boolean(),
    leaseTtlSeconds: z.number().int().min(LEASE_TTL.minSeconds).max(LEASE_TTL.maxSeconds),
    weights: WeightsPatchSchema,
    agingHorizonMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
    retry: z
      .object({
        baseSeconds: z.number().finite().min(0).max(86_400),
        maxSeconds: z
          .number()
          .finite()
          .min(0)
          .max(7 * 86_400),
        jitter: z.number().finite().min(0).max(1),
      })
      .partial()
      .strict(),
    overflow: z.enum(["route", "hold"]),
    breaker: z
      .object({
        failureThreshold: z.number().int().min(1).max(1000),
        coolDownSeconds: z.number().int().min(1).max(86_400),
        maxCoolDownSeconds: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400),
      })
      .partial()
      .strict(),
    errorBudget: z
      .object({
        windowMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60),
        maxFailures: z.number().int().min(1).max(100_000),
      })
      .partial()
      .strict(),
    health: z
      .object({
        stuckAfterMinutes: ThresholdMinutes,
        starvingAfterMinutes: ThresholdMinutes,
        expectedFinishIntervalMinutes: ThresholdMinutes,
      })
      .partial()
      .strict(),
    routing: z
      .object({
        objective: z.enum(["success_per_usd", "success_per_minute"]),
        minSamples: z.number().int().min(1).max(10_000), // 10k: beyond that the term could never wake up
      })
      .partial()
      .strict(),
    prices: PricesPatchSchema,
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

/** A complete record from whatever was stored (possibly partial, possibly nothing). */
export function withDefaults(stored: Partial<ProductSettings> | undefined): ProductSettings {
  const s = stored ?? {};
  return {
    preemption: s.preemption ?? DEFAULT_SETTINGS.preemption,
    leaseTtlSeconds: s.leaseTtlSeconds ?? DEFAULT_SETTINGS.leaseTtlSeconds,
    weights: { ...DEFAULT_SETTINGS.weights, ...s.weights },
    agingHorizonMinutes: s.agingHorizonMinutes ?? DEFAULT_SETTINGS.agingHorizonMinutes,
    retry: { ...DEFAULT_SETTINGS.retry, ...s.retry },
    frozenSerialKeys: [...(s.frozenSerialKeys ?? [])],
    budgetPaused: s.budgetPaused ?? DEFAULT_SETTINGS.budgetPaused,
    overflow: s.overflow ?? DEFAULT_SETTINGS.overflow,
    breaker: { ...DEFAULT_SETTINGS.breaker, ...s.breaker },
    errorBudget: { ...DEFAULT_SETTINGS.errorBudget, ...s.errorBudget },
    health: { ...DEFAULT_SETTINGS.health, ...s.health },
    routing: { ...DEFAULT_SETTINGS.routing, ...s.routing },
    prices: { ...s.prices },
  };
}

/**
 * The settings after `patch`; pure, inputs untouched.
 * @throws RangeError — the merged retry has `maxSeconds < baseSeconds`, or the merged prices are not a price table
 *   (core/prices `applyPricesPatch`): the route turns it into a 400.
 */
export function applySettingsPatch(current: ProductSettings, patch: SettingsPatch): ProductSettings {
  const next: ProductSettings = {
    ...current,
    ...(patch.preemption !== undefined ? { preemption: patch.preemption } : {}),
    ...(patch.leaseTtlSeconds !== undefined ? { leaseTtlSeconds: patch.leaseTtlSeconds } : {}),
    ...(patch.agingHorizonMinutes !== undefined ? { agingHorizonMinutes: patch.agingHorizonMinutes } : {}),
    weights: { ...current.weights, ...patch.weights },
    retry: { ...current.retry, ...patch.retry },
    ...(patch.overflow !== undefined ? { overflow: patch.overflow } : {}),
    breaker: { ...current.breaker, ...patch.breaker },
    errorBudget: { ...current.errorBudget, ...patch.errorBudget },
    health: { ...current.health, ...patch.health },
    routing: { ...current.routing, ...patch.routing },
    prices: applyPricesPatch(current.prices, patch.prices), // RangeError: an engine given one rate of two
  };
  if (next.breaker.maxCoolDownSeconds < next.breaker.coolDownSeconds) {
    throw new RangeError(
      `breaker.maxCoolDownSeconds (${next.breaker.maxCoolDownSeconds}) is below breaker.coolDownSeconds (${next.breaker.coolDownSeconds})`,
    );
  }
  if (next.retry.maxSeconds < next.retry.baseSeconds) {
    throw new RangeError(
      `retry.maxSeconds (${next.retry.maxSeconds}) is below retry.baseSeconds (${next.retry.baseSeconds})`,
    );
  }
  return next;
}

/** The keys whose change alters what a connected factory does (so it must be told): today only the lease TTL. */
export function changesFactoryContract(before: ProductSettings, after: ProductSettings): boolean {
  return before.leaseTtlSeconds !== after.leaseTtlSeconds;
}

/**
 * The TTL (s) that governs a job's leases: the manifest's own `leaseTtlSeconds`, else the product's.
 * The job's author knows best how long its work may go without a renewal reaching us (a job on a flaky
 * network); the product's operator sets the default for everything else.
 */
export function leaseTtlFor(
  manifest: Pick<Manifest, "leaseTtlSeconds">,
  settings: Pick<ProductSettings, "leaseTtlSeconds">,
): number {
  return clampTtlSeconds(manifest.leaseTtlSeconds ?? settings.leaseTtlSeconds);
}

/**
 * The TTL (s) a lease is granted or renewed for: the governing one (`leaseTtlFor`), or shorter when the
 * holder asked for shorter (its hello's or claim's `leaseTtlSeconds`, a renewal's `ttlSeconds`) — never
 * longer. A shorter lease costs only its holder (more renewals) and recovers its job sooner if the host
 * dies; a longer one would let a vanished host sit on work longer than the product allows, which is the
 * operator's call (or the job author's), not a host's.
 */
export function grantedLeaseTtl(governing: number, requested?: number): number {
  return clampTtlSeconds(requested === undefined ? governing : Math.min(governing, requested));
}
