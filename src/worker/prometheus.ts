/**
 * @module worker/prometheus
 * A metrics snapshot (shared/api-metrics) as Prometheus text exposition 0.0.4, rendered by `prom-client`'s
 * Registry — the library does the HELP/TYPE lines, label escaping and number formatting, so no hand-built text can
 * drift from the format. prom-client runs in workerd when its core classes are imported by their own files
 * (worker/prom-client-core.d.ts): its Node-only parts (default process metrics, cluster, pushgateway) then never
 * load, and `nodejs_compat` (wrangler.toml) serves the `util` they use.
 *
 * A fresh Registry per render: the coordinator owns the numbers, this module only prints them, so nothing is kept
 * between requests. Every series carries a `product` label. The budget's series (spend, ceiling, state) are absent
 * while no budget is set; `gigafactory_budget_dispatch_paused` is always written — an operator's pause needs no
 * budget, and a rule on it saw no paused fleet then — with the budget's `period` label while one is set.
 */
import type { Gauge as GaugeType, MetricType, Registry as RegistryType } from "prom-client";
import Counter from "prom-client/lib/counter.js";
import Gauge from "prom-client/lib/gauge.js";
import Histogram from "prom-client/lib/histogram.js";
import Registry from "prom-client/lib/registry.js";
import { BUDGET_STATES } from "../core/budget.ts";
import { LATENCY_BUCKETS_MS } from "../core/metrics.ts";
import type { MetricsSnapshot } from "../shared/api-metrics.ts";

/** The Content-Type of the 0.0.4 text format (what Prometheus asks for with `Accept: text/plain;version=0.0.4`). */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A histogram whose buckets were counted by the coordinator (policies/metrics), not observed here: prom-client
 * validates its name, labels and bounds as for any histogram, and its registry prints the `_bucket{le}`, `_sum`
 * and `_count` series answered here, in the shape prom-client's own Histogram answers. The registry reads
 * `getForPromString` when a metric has one (prom-client 15, lib/registry.js), `get` otherwise: both answer the same.
 */
const LATENCY_NAME = "gigafactory_dispatch_latency_ms";
const LATENCY_HELP = "Milliseconds from a job becoming due (queued or notBefore, the later) to its lease being granted";

class CountedHistogram extends Histogram<string> {
  private readonly product: string;
  private readonly data: MetricsSnapshot["dispatchLatencyMs"];

  constructor(registry: RegistryType, product: string, data: MetricsSnapshot["dispatchLatencyMs"]) {
    super({
      name: LATENCY_NAME,
      help: LATENCY_HELP,
      labelNames: ["product"],
      buckets: [...LATENCY_BUCKETS_MS],
      registers: [registry],
    });
    this.product = product;
    this.data = data;
  }

  override async get() {
    return this.getForPromString();
  }

  async getForPromString() {
    const labels = { product: this.product };
    const buckets = this.data.buckets.map((b) => ({
      metricName: `${LATENCY_NAME}_bucket`,
      labels: { ...labels, le: b.le },
      value: b.count,
    }));
    return {
      name: LATENCY_NAME,
      help: LATENCY_HELP,
      // The d.ts types `type` as a numeric enum; at run time (and in the printed TYPE line) it is the string.
      type: "histogram" as unknown as MetricType,
      aggregator: "sum" as const,
      collect: () => undefined,
      values: [
        ...buckets,
        { metricName: `${LATENCY_NAME}_sum`, labels, value: this.data.sumMs },
        { metricName: `${LATENCY_NAME}_count`, labels, value: this.data.count },
      ],
    };
  }
}

function gauge(registry: RegistryType, name: string, help: string, labelNames: string[] = []): GaugeType {
  return new Gauge({ name, help, labelNames: ["product", ...labelNames], registers: [registry] });
}

function counter(registry: RegistryType, name: string, help: string, product: string, value: number): void {
  new Counter({ name, help, labelNames: ["product"], registers: [registry] }).inc({ product }, value);
}

/** The snapshot as Prometheus text (0.0.4); parseable by any Prometheus text parser. */
export async function renderPrometheus(s: MetricsSnapshot): Promise<string> {
  const registry = new Registry();
  const product = s.product;
  const depth = gauge(registry, "gigafactory_queue_depth", "Jobs in each stage", ["stage"]);
  for (const [stage, n] of Object.entries(s.queue.depthByStage)) depth.set({ product, stage }, n);
  gauge(registry, "gigafactory_seats_busy", "Seats holding a live lease").set({ product }, s.seats.busy);
  gauge(registry, "gigafactory_seats_total", "Seats of active factories that are not down").set(
    { product },
    s.seats.total,
  );
  // Seats and factories whose link ended while their heartbeats still count them up: in seats_total too (~30 s).
  gauge(
    registry,
    "gigafactory_seats_disconnected",
    "Of seats_total, seats of factories whose link ended (no live socket, not polling): no work reaches them",
  ).set({ product }, s.seats.disconnected);
  gauge(
    registry,
    "gigafactory_factories_disconnected",
    "Factories up by heartbeat whose link ended (no live socket, not polling over HTTP), any status, as /health counts",
  ).set({ product }, s.seats.disconnectedFactories);
  gauge(registry, "gigafactory_seat_utilisation_ratio", "Busy seats / total seats, 0..1").set(
    { product },
    s.seats.utilisation,
  );
  new CountedHistogram(registry, product, s.dispatchLatencyMs);
  counter(
    registry,
    "gigafactory_lease_expiries_total",
    "Leases that ran out and were expired",
    product,
    s.leaseExpiries,
  );
  counter(registry, "gigafactory_retries_total", "Failed jobs queued again for another attempt", product, s.retries);
  const breakers = gauge(registry, "gigafactory_breaker_open", "1 open, 0.5 half-open, 0 closed (factory × engine)", [
    "factory",
    "engine",
  ]);
  const failures = gauge(registry, "gigafactory_breaker_consecutive_failures", "Failures in a row", [
    "factory",
    "engine",
  ]);
  for (const b of s.breakers) {
    const labels = { product, factory: b.factoryId, engine: b.engine };
    breakers.set(labels, b.state === "open" ? 1 : b.state === "half_open" ? 0.5 : 0);
    failures.set(labels, b.consecutiveFailures);
  }
  if (s.budget) {
    const labels = { product, period: s.budget.period };
    gauge(registry, "gigafactory_budget_spent_usd", "Spend in the current period, USD", ["period"]).set(
      labels,
      s.budget.spentUsd,
    );
    gauge(registry, "gigafactory_budget_ceiling_usd", "Budget ceiling of the period, USD", ["period"]).set(
      labels,
      s.budget.ceilingUsd,
    );
    // Every state printed, 1 for the current one: a rule or a panel reads `== 1` of the state it cares about, and a
    // state series that vanished on a change would read as "no data" rather than 0 (a stale value until it expires).
    const state = gauge(registry, "gigafactory_budget_state", "1 for the budget's current state, 0 otherwise", [
      "period",
      "state",
    ]);
    for (const st of BUDGET_STATES) state.set({ ...labels, state: st }, st === s.budget.state ? 1 : 0);
  }
  // From the flag dispatch reads (policies/metrics), budget set or not; `period` only while a budget is set.
  gauge(
    registry,
    "gigafactory_budget_dispatch_paused",
    "1 while dispatch is paused (an operator's pause, which needs no budget, or an exhausted budget), 0 otherwise",
    ["period"],
  ).set(s.budget ? { product, period: s.budget.period } : { product }, s.dispatchPaused ? 1 : 0);
  const alerts = gauge(registry, "gigafactory_open_alerts", "Open (incl. acknowledged) alerts", ["severity"]);
  for (const [severity, n] of Object.entries(s.openAlerts)) alerts.set({ product, severity }, n);
  const runs = gauge(
    registry,
    "gigafactory_factory_runs",
    "Runs ended in the window that count (a run over its job's own budget a failure; cancelled, preempted, handed_back, fenced runs and product budget stops not counted)",
    ["factory", "name"],
  );
  const ok = gauge(registry, "gigafactory_factory_successes", "Successful runs in the window", ["factory", "name"]);
  const rate = gauge(
    registry,
    "gigafactory_factory_success_ratio",
    "Successes / runs in the window, 0..1; absent for a factory with no counted runs",
    ["factory", "name"],
  );
  for (const f of s.factories) {
    const labels = { product, factory: f.id, name: f.name };
    runs.set(labels, f.runs);
    ok.set(labels, f.successes);
    // A ratio over no runs is no ratio: the JSON's 0 printed here read as "every run failed" to a rule such as
    // `gigafactory_factory_success_ratio < 0.5`, paging for each idle or new factory. Runs and successes still say 0.
    if (f.runs > 0) rate.set(labels, f.successRate);
  }
  return registry.metrics();
}
