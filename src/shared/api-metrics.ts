/**
 * @module shared/api-metrics
 * The metrics and stats answers (issue 9, part 9) as the Worker, the CLI and the dashboard read them (types, and
 * zod schemas for the OpenAPI document), the breakers list, and the query of `GET …/metrics`. One shape for JSON and Prometheus: the exposition is rendered from this very object
 * (worker/prometheus), so the two formats cannot disagree.
 */
import { z } from "zod";
import { BUDGET_STATES, type BudgetState, type PausedBy } from "../core/budget.ts";
import type { CumulativeBucket } from "../core/metrics.ts";
import { STAGES, type Stage } from "../core/model.ts";

/** Bumped when a field changes meaning or goes away (adding one does not). */
export const METRICS_SCHEMA_VERSION = 1;

/** How far back the per-factory success rate looks, ms (runs that ended in the last 24 h). */
export const FACTORY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** `?format=json|prometheus`; absent means: decide by the Accept header. */
export const MetricsQuery = z.strictObject({ format: z.enum(["json", "prometheus"]).optional() });

/** One breaker (coordinator/policies/breaker-views `BreakerView`, restated here so shared code needs no coordinator import). */
export interface BreakerMetric {
  factoryId: string;
  engine: string;
  state: "closed" | "open" | "half_open";
  consecutiveFailures: number;
  openUntil?: number;
}

/** The product budget in its period (coordinator/policies/budget-view `BudgetSnapshot`); USD, ms epoch. */
export interface BudgetMetric {
  period: "day" | "week" | "month";
  ceilingUsd: number;
  spentUsd: number;
  state: BudgetState;
  periodStart: number;
}

export interface FactoryRate {
  id: string;
  name: string;
  /**
   * Runs ended within the window that count, by core/run-counts `countsAs` (as track records count them): not the
   * cancelled, preempted, handed_back or fenced ones, nor a `budget_exceeded` the product's budget stopped and
   * requeued; a `budget_exceeded` that overran its job's own budget is counted, a failure.
   */
  runs: number;
  /** Of those, runs whose outcome was `success`. */
  successes: number;
  /** successes / runs in [0, 1]; 0 with no runs. */
  successRate: number;
}

export interface MetricsSnapshot {
  schema_version: number;
  /** ms epoch: the coordinator's `tx.now` when the snapshot was read. */
  generated_at: number;
  product: string;
  queue: { depthByStage: Record<Stage, number> };
  /**
   * `total`: seats of active factories not down (nor left); `busy`: live leases anywhere. `disconnectedFactories`:
   * the factories whose link ended while their heartbeats say up (no live socket, not polling over HTTP:
   * core/factory-link `linkEndedWhileUp`), whatever their status — `GET …/health`'s `factories.disconnected`, one
   * count. `disconnected`: of `total`, the seats of the active ones among them — still in `total` while their
   * heartbeats count them up (a draining factory's seats are in neither).
   */
  seats: { busy: number; total: number; utilisation: number; disconnected: number; disconnectedFactories: number };
  dispatchLatencyMs: { buckets: CumulativeBucket[]; count: number; sumMs: number };
  leaseExpiries: number;
  retries: number;
  breakers: BreakerMetric[];
  budget?: BudgetMetric;
  /**
   * Whether dispatch is paused now (`settings.budgetPaused`, the flag router and claim read), budget set or not: an
   * operator's pause needs none (policies/budget-unset), and `budget` is absent then. `dispatchPausedBy`: who paused
   * it, present while paused — the operator's pause when both hold (core/budget `pausedByOf`).
   */
  dispatchPaused: boolean;
  dispatchPausedBy?: PausedBy;
  /** Open (incl. acknowledged) alerts by severity. */
  openAlerts: { info: number; warning: number; critical: number };
  factories: FactoryRate[];
  /** The window `factories` covers, ms. */
  factoryWindowMs: number;
}

/** `GET …/stats`: counts by stage from the index, no job documents. */
export interface StatsSnapshot {
  counts: Record<Stage, number>;
  total: number;
  queueVersion: number;
  generated_at: number;
}

// ---- the answers' schemas (each checked against its route's type in worker/openapi-answer-types) ----

const ms = z.number().int().describe("ms epoch");
const count = z.number().int();
const byStage = z.record(z.enum(STAGES), count);

/** One breaker per factory × engine that is not plainly closed with no failures (engine `*`: the default). */
export const BreakerSchema = z.object({
  factoryId: z.string(),
  engine: z.string(),
  state: z.enum(["closed", "open", "half_open"]),
  consecutiveFailures: count,
  openUntil: ms.optional().describe("when an open breaker goes half-open"),
});

/** `GET …/breakers`. */
export const BreakerListSchema = z.object({ breakers: z.array(BreakerSchema) });

/**
 * The `{engine}` of `POST …/factories/{factoryId}/breakers/{engine}/reset`: an engine name as a manifest names it,
 * or `*` — the breaker of the factory's default engine, that jobs naming none run under (core/breaker).
 */
export const BreakerEngineParam = z
  .string()
  .regex(/^(\*|[a-z0-9][a-z0-9._-]{0,31})$/, { error: "must be an engine name like claude, or * for the default" });

/** `POST …/breakers/{engine}/reset`: the breaker as it is now (closed), and whether the reset changed anything. */
export const BreakerResetSchema = BreakerSchema.extend({
  changed: z.boolean().describe("false: it was closed with no failures already — nothing written or audited"),
});

/** `GET …/metrics` as JSON (the Prometheus text is rendered from this very object). */
export const MetricsSchema = z.object({
  schema_version: z.number().int(),
  generated_at: ms,
  product: z.string(),
  queue: z.object({ depthByStage: byStage }),
  seats: z.object({
    busy: count,
    total: count.describe("seats of active factories that are not down (nor left)"),
    utilisation: z.number().describe("busy / total, 0 with no seats"),
    disconnected: count.describe(
      "of total, the seats of factories whose link ended (no live socket, not polling over HTTP): still counted in " +
        "total while their heartbeats say up (~30 s), though no work reaches them",
    ),
    disconnectedFactories: count.describe(
      "factories whose link ended while their heartbeats say up, any status (draining too): GET …/health's " +
        "factories.disconnected, one count; the active ones hold the disconnected seats",
    ),
  }),
  dispatchLatencyMs: z.object({
    buckets: z
      .array(z.object({ le: z.union([z.number(), z.literal("+Inf")]), count }))
      .describe("cumulative: samples ≤ le ms"),
    count,
    sumMs: z.number(),
  }),
  leaseExpiries: count,
  retries: count,
  breakers: z.array(BreakerSchema),
  budget: z
    .object({
      period: z.enum(["day", "week", "month"]),
      ceilingUsd: z.number(),
      spentUsd: z.number(),
      state: z.enum(BUDGET_STATES),
      periodStart: ms,
    })
    .optional(),
  dispatchPaused: z
    .boolean()
    .describe(
      "dispatch is paused (an operator's pause, which needs no budget, or an exhausted budget's), budget set or not",
    ),
  dispatchPausedBy: z
    .enum(["operator", "exhausted"])
    .optional()
    .describe("while paused: who paused it (operator first when both hold)"),
  openAlerts: z.object({ info: count, warning: count, critical: count }),
  factories: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      runs: count.describe(
        "runs ended in the window that count, as track records count them: a run over its job's own budget " +
          "(budget_exceeded) is a failure; cancelled, preempted, handed_back, fenced runs and product budget " +
          "stops are not counted",
      ),
      successes: count,
      successRate: z.number(),
    }),
  ),
  factoryWindowMs: z.number().int(),
});

/** `GET …/stats`. */
export const StatsSchema = z.object({ counts: byStage, total: count, queueVersion: count, generated_at: ms });
