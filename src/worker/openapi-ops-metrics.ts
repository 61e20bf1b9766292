/**
 * @module worker/openapi-ops-metrics
 * The metrics and stats operations of the OpenAPI document (issue 9, part 9).
 */
import { MetricsQuery, MetricsSchema, StatsSchema } from "../shared/api-metrics.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

export const METRICS_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/metrics`,
    operationId: "getMetrics",
    summary: "The product's metrics, as JSON or Prometheus text",
    description:
      "The product's metrics: {schema_version: 1, generated_at, product, queue: {depthByStage}, seats: {busy, total, " +
      "utilisation}, dispatchLatencyMs: {buckets: [{le, count}] (cumulative, ms), count, sumMs}, leaseExpiries, " +
      "retries, breakers, budget?, dispatchPaused (always: an operator's pause needs no budget), dispatchPausedBy? " +
      "(operator | exhausted, while paused), openAlerts: {info, warning, critical}, factories: [{id, name, runs, successes, " +
      "successRate}] over the last factoryWindowMs (24 h), runs counted as track records count them (a run over its " +
      "job's own budget a failure, a product budget's stop not counted)}. As Prometheus text 0.0.4 (Content-Type text/plain; " +
      "version=0.0.4) with ?format=prometheus or Accept: text/plain;version=0.0.4 (gigafactory_* series, product as a label; " +
      "with a budget, gigafactory_budget_state{state} is 1 for its state and 0 for the others; " +
      "gigafactory_budget_dispatch_paused is always written, 1 while dispatch is paused, budget set or not, with the " +
      "budget's period label while one is set); " +
      "?format= wins over Accept; another format value is 400",
    role: "viewer",
    query: MetricsQuery,
    ok: {
      "200": {
        description: "The metrics: JSON, or the same as Prometheus text",
        media: ["application/json", "text/plain; version=0.0.4"],
        schema: MetricsSchema,
      },
    },
  },
  {
    method: "get",
    path: `${P}/stats`,
    operationId: "getStats",
    summary: "Counts by stage from the stage index, no job documents",
    description:
      "Counts by stage from the stage index, no job documents: {counts: {queued: n, …every stage}, total, " +
      "queueVersion, generated_at}",
    role: "viewer",
    ok: { "200": json("The counts", StatsSchema) },
  },
];
