// The Prometheus exposition of GET …/metrics (worker/prometheus, the very function the route calls) parses with a
// real Prometheus text parser (`parse-prometheus-text-format`), and every value read back equals the snapshot's:
// queue depth per stage, seats, the dispatch-latency histogram (buckets, sum, count), counters, breakers, budget
// (spend, ceiling, its state as one series per state — 1 for the current one), whether dispatch is paused — always
// written, budget set or not (an operator's pause needs none) —,
// alerts and per-factory success (a factory without runs has no ratio: absent, not a 0 that reads as "all failed")
// — with the product as a label and label values escaped: any factory id, name or engine (quotes, backslashes,
// newlines, any unicode) reads back exactly, under one HELP and one TYPE per family.
import fc from "fast-check";
import parse, { type ParsedFamily } from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { BUDGET_STATES } from "../../src/core/budget.ts";
import { cumulativeBuckets, emptyHistogram, observe } from "../../src/core/metrics.ts";
import { STAGES, type Stage } from "../../src/core/model.ts";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../../src/worker/prometheus.ts";

const hist = [3, 7, 7, 120, 9_000, 60_000].reduce(observe, emptyHistogram());
const depth = Object.fromEntries(STAGES.map((s, i) => [s, i])) as Record<Stage, number>;

const SNAPSHOT: MetricsSnapshot = {
  schema_version: 1,
  generated_at: 1_700_000_000_000,
  product: "acme",
  queue: { depthByStage: depth },
  seats: { busy: 3, total: 4, utilisation: 0.75, disconnected: 2, disconnectedFactories: 1 },
  dispatchLatencyMs: { buckets: cumulativeBuckets(hist), count: hist.count, sumMs: hist.sumMs },
  leaseExpiries: 2,
  retries: 5,
  breakers: [{ factoryId: "f1", engine: "claude", state: "half_open", consecutiveFailures: 5 }],
  budget: { period: "day", ceilingUsd: 50, spentUsd: 12.5, state: "ok", periodStart: 1_699_920_000_000 },
  dispatchPaused: false,
  openAlerts: { info: 0, warning: 2, critical: 1 },
  factories: [{ id: "f1", name: 'box "one"\\eu', runs: 4, successes: 3, successRate: 0.75 }],
  factoryWindowMs: 86_400_000,
};

function family(all: ParsedFamily[], name: string): ParsedFamily {
  const f = all.find((x) => x.name === name);
  if (!f) throw new Error(`no ${name} in the exposition`);
  return f;
}

function value(all: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  const sample = family(all, name).metrics.find((m) =>
    Object.entries({ product: "acme", ...labels }).every(([k, v]) => m.labels?.[k] === v),
  );
  if (!sample) throw new Error(`no ${name} ${JSON.stringify(labels)}`);
  return Number(sample.value);
}

describe("Prometheus exposition", () => {
  it("answers the 0.0.4 text content type", () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  it("parses with a real parser and carries every value of the snapshot", async () => {
    const all = parse(await renderPrometheus(SNAPSHOT));
    for (const s of STAGES) expect(value(all, "gigafactory_queue_depth", { stage: s })).toBe(depth[s]);
    expect(family(all, "gigafactory_queue_depth").type).toBe("GAUGE");
    expect(value(all, "gigafactory_seats_busy")).toBe(3);
    expect(value(all, "gigafactory_seats_total")).toBe(4);
    // Of the total, those whose factory's link ended: a gauge of their own, the total's rule unchanged.
    expect(value(all, "gigafactory_seats_disconnected")).toBe(2);
    expect(value(all, "gigafactory_factories_disconnected")).toBe(1);
    expect(value(all, "gigafactory_seat_utilisation_ratio")).toBe(0.75);
    expect(family(all, "gigafactory_lease_expiries_total").type).toBe("COUNTER");
    expect(value(all, "gigafactory_lease_expiries_total")).toBe(2);
    expect(value(all, "gigafactory_retries_total")).toBe(5);
    expect(value(all, "gigafactory_breaker_open", { factory: "f1", engine: "claude" })).toBe(0.5);
    expect(value(all, "gigafactory_breaker_consecutive_failures", { factory: "f1", engine: "claude" })).toBe(5);
    expect(value(all, "gigafactory_budget_spent_usd", { period: "day" })).toBe(12.5);
    expect(value(all, "gigafactory_budget_ceiling_usd", { period: "day" })).toBe(50);
    expect(value(all, "gigafactory_open_alerts", { severity: "warning" })).toBe(2);
    expect(value(all, "gigafactory_open_alerts", { severity: "critical" })).toBe(1);
    const named = { factory: "f1", name: 'box "one"\\eu' }; // quotes and backslashes escaped and read back
    expect(value(all, "gigafactory_factory_runs", named)).toBe(4);
    expect(value(all, "gigafactory_factory_successes", named)).toBe(3);
    expect(value(all, "gigafactory_factory_success_ratio", named)).toBe(0.75);
  });

  it("prints the dispatch latency as a histogram whose buckets, sum and count are the snapshot's", async () => {
    const text = await renderPrometheus(SNAPSHOT);
    const latency = family(parse(text), "gigafactory_dispatch_latency_ms");
    expect(latency.type).toBe("HISTOGRAM");
    // This parser folds a histogram's samples into one `buckets` map (le → cumulative count) and keeps `_sum` and
    // `_count` only for label-less histograms (its flattenMetrics), so those two lines are checked as exact lines.
    expect(latency.metrics).toHaveLength(1);
    const buckets = Object.fromEntries(Object.entries(latency.metrics[0]?.buckets ?? {}).map(([le, n]) => [le, +n]));
    expect(buckets).toEqual(Object.fromEntries(SNAPSHOT.dispatchLatencyMs.buckets.map((b) => [String(b.le), b.count])));
    expect(buckets).toMatchObject({ "5": 1, "10": 3, "100": 3, "250": 4, "10000": 5, "+Inf": 6 });
    const lines = text.split("\n");
    expect(lines).toContain('gigafactory_dispatch_latency_ms_sum{product="acme"} 69137');
    expect(lines).toContain('gigafactory_dispatch_latency_ms_count{product="acme"} 6');
    expect(lines).toContain('gigafactory_dispatch_latency_ms_bucket{product="acme",le="+Inf"} 6');
  });

  it("prints no success ratio for a factory with no counted runs: an idle factory is not one that always fails", async () => {
    const idle = { id: "f2", name: "idle", runs: 0, successes: 0, successRate: 0 };
    const all = parse(await renderPrometheus({ ...SNAPSHOT, factories: [...SNAPSHOT.factories, idle] }));
    const labels = { factory: "f2", name: "idle" };
    expect(value(all, "gigafactory_factory_runs", labels)).toBe(0);
    expect(value(all, "gigafactory_factory_successes", labels)).toBe(0);
    expect(() => value(all, "gigafactory_factory_success_ratio", labels)).toThrow(
      /no gigafactory_factory_success_ratio/,
    );
    expect(value(all, "gigafactory_factory_success_ratio", { factory: "f1", name: 'box "one"\\eu' })).toBe(0.75);
  });

  it("prints the budget's state as one series per state, 1 for the current one, and whether it pauses dispatch", async () => {
    for (const state of BUDGET_STATES) {
      const budget = { ...SNAPSHOT.budget!, state };
      const all = parse(await renderPrometheus({ ...SNAPSHOT, budget, dispatchPaused: state === "paused" }));
      expect(family(all, "gigafactory_budget_state").type).toBe("GAUGE");
      for (const other of BUDGET_STATES) {
        expect(value(all, "gigafactory_budget_state", { period: "day", state: other })).toBe(other === state ? 1 : 0);
      }
      expect(value(all, "gigafactory_budget_dispatch_paused", { period: "day" })).toBe(state === "paused" ? 1 : 0);
    }
  });

  it("leaves out the budget's own series when no budget is set, but always says whether dispatch is paused", async () => {
    const { budget: _none, ...rest } = SNAPSHOT;
    for (const dispatchPaused of [false, true]) {
      const all = parse(await renderPrometheus({ ...rest, dispatchPaused, dispatchPausedBy: undefined }));
      const names = all.map((f) => f.name);
      expect(names).not.toContain("gigafactory_budget_spent_usd");
      expect(names).not.toContain("gigafactory_budget_state");
      expect(names).toContain("gigafactory_retries_total");
      // An operator's pause needs no budget: a rule on this series must see it (no period label without a budget).
      const paused = family(all, "gigafactory_budget_dispatch_paused");
      expect(paused.metrics).toEqual([{ labels: { product: "acme" }, value: dispatchPaused ? "1" : "0" }]);
    }
  });

  it("property: any factory id, name and engine reads back exactly; one HELP and one TYPE per family", async () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(text, text, text, async (id, name, engine) => {
        const s: MetricsSnapshot = {
          ...SNAPSHOT,
          breakers: [{ factoryId: id, engine, state: "open", consecutiveFailures: 5 }],
          factories: [{ id, name, runs: 4, successes: 3, successRate: 0.75 }],
        };
        const out = await renderPrometheus(s);
        const all = parse(out);
        expect(value(all, "gigafactory_factory_runs", { factory: id, name })).toBe(4);
        expect(value(all, "gigafactory_breaker_open", { factory: id, engine })).toBe(1);
        const lines = out.split("\n");
        for (const f of all) {
          expect(lines.filter((l) => l.startsWith(`# HELP ${f.name} `))).toHaveLength(1);
          expect(lines.filter((l) => l.startsWith(`# TYPE ${f.name} `))).toHaveLength(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
