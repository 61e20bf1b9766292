/**
 * @module core/settings-policies
 * The shapes of a product's policy settings kept beside core/settings: retry backoff, learned routing (issue 11),
 * circuit breakers, the error budget and alert thresholds (issue 9); the price table is core/prices. Defaults and validation stay in core/settings,
 * which re-exports these.
 */
import type { RoutingObjective } from "./track-term.ts";

export interface RetrySettings {
  /** Delay before the first automatic retry, s. */
  baseSeconds: number;
  /** Ceiling on any one retry delay, s. */
  maxSeconds: number;
  /** Fraction in [0, 1] of each delay drawn at random ("equal jitter" when 0.5), so retries of a burst spread out. */
  jitter: number;
}

/** Learned routing (issue 11): what the router's `track` term optimises and how many runs make a record count. */
export interface RoutingSettings {
  objective: RoutingObjective;
  /** Runs of a (factory, engine, job class) below which its track term is neutral. */
  minSamples: number;
}

/** Circuit breakers per factory × engine (issue "money and health", part 3). */
export interface BreakerSettings {
  /** Consecutive failures that open a closed breaker. */
  failureThreshold: number;
  /** First open period before half-open, s; doubles on each failed trial up to `maxCoolDownSeconds`. */
  coolDownSeconds: number;
  maxCoolDownSeconds: number;
}

/** Quarantine (part 4): more than `maxFailures` failed runs of one factory within `windowMinutes` quarantines it. */
export interface ErrorBudgetSettings {
  windowMinutes: number;
  maxFailures: number;
}

/** Alert thresholds (part 5), min. */
export interface HealthThresholds {
  /** A `building` job with no event for this long raises `stuck`. */
  stuckAfterMinutes: number;
  /** A job waiting (queued) this long raises `starving`, with its waiting reason. */
  starvingAfterMinutes: number;
  /** The product is `stalled` when nothing shipped for 2 × this while work waits. */
  expectedFinishIntervalMinutes: number;
}
