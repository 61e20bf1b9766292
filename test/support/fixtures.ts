/**
 * @module test/support/fixtures
 * A queued job and an active factory as the pure router and waiting rules see them, for unit tests of src/core:
 * every required field filled with a plain default (times at `at`, ms), the test's own fields on top. One builder
 * instead of one copy per test file, so a field added to Job or Factory is added here once.
 */
import type { ProductBudget } from "../../src/core/budget.ts";
import { type Factory, type Job, STAGES, type Stage } from "../../src/core/model.ts";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";

/** A queued medium-priority task `j1` created, updated and queued at `at` (ms), with `over` on top. */
export function jobFixture(at: number, over: Partial<Job> = {}): Job {
  const base: Job = {
    id: "j1",
    productId: "p",
    title: "t",
    bodyMd: "",
    manifest: {} as Job["manifest"],
    stage: "queued",
    priority: "medium",
    requires: [],
    prefers: [],
    budget: {},
    deps: [],
    depsMode: "all",
    kind: "task",
    rev: 1,
    leaseEpoch: 0,
    attempt: 0,
    maxAttempts: 3,
    createdAt: at,
    updatedAt: at,
    queuedAt: at,
  };
  return { ...base, ...over };
}

/** An active, healthy, idle factory `f1` ("box-1", 2 seats, no capabilities) created at `at`, `over` on top. */
export function factoryFixture(at: number, over: Partial<Factory> = {}): Factory {
  const base: Factory = {
    id: "f1",
    productId: "p",
    name: "box-1",
    capabilities: [],
    seats: 2,
    load: 0,
    health: "ok",
    status: "active",
    createdAt: at,
  };
  return { ...base, ...over };
}

/** A product budget: $1 a month from 2026-12-01, `stop` at 100 %, nothing spent yet; `over` replaces any field. */
export function budgetFixture(over: Partial<ProductBudget> = {}): ProductBudget {
  return {
    period: "month",
    ceilingUsd: 1,
    onExhausted: "stop",
    periodStart: Date.UTC(2026, 11, 1),
    spentUsd: 0,
    burndown: [],
    ...over,
  };
}

/**
 * A metrics answer with nothing in it (no jobs, 2 idle seats, one factory `box-a` with 3 runs of 2 successes over
 * 24 h): a CLI test changes only the fields it is about. `factoryWindowMs: undefined` leaves it out (an older answer).
 */
export function metricsFixture(over: Record<string, unknown> = {}): MetricsSnapshot {
  const zero = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const m: Record<string, unknown> = {
    schema_version: 1,
    generated_at: 0,
    product: "shop",
    queue: { depthByStage: zero },
    seats: { busy: 0, total: 2, utilisation: 0 },
    dispatchLatencyMs: { buckets: [], count: 0, sumMs: 0 },
    leaseExpiries: 0,
    retries: 0,
    breakers: [],
    openAlerts: { info: 0, warning: 0, critical: 0 },
    factories: [{ id: "f1", name: "box-a", runs: 3, successes: 2, successRate: 2 / 3 }],
    factoryWindowMs: 86_400_000,
    ...over,
  };
  if (m.factoryWindowMs === undefined) delete m.factoryWindowMs;
  return m as unknown as MetricsSnapshot;
}
