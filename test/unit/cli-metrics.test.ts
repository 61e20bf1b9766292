// `gigafactory metrics` and `gigafactory stats` over a real local socket: the metrics print as readable fields (queue,
// seats and utilisation, dispatch p50/p99 from the histogram — one past the last bound as "> 10 s", not "10000 ms" —
// counters, alerts, budget, whether dispatch is paused and by whom — an operator's pause with no budget set
// included) with a factory table (and a breaker table with each open breaker's openUntil), or as the
// API's JSON under --json, or as the Prometheus text verbatim under --prometheus (it parses); --prometheus with
// --json is a usage error; stats print a stage table with the total; a refused read is one `✘ ERROR` line, exit 1.
import parse from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { cumulativeBuckets, emptyHistogram, observe } from "../../src/core/metrics.ts";
import { STAGES, type Stage } from "../../src/core/model.ts";
import type { MetricsSnapshot, StatsSnapshot } from "../../src/shared/api-metrics.ts";
import { renderPrometheus } from "../../src/worker/prometheus.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const zero = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
const hist = [2, 3, 4, 8, 40, 400].reduce(observe, emptyHistogram());
const METRICS: MetricsSnapshot = {
  schema_version: 1,
  generated_at: 1_700_000_000_000,
  product: "shop",
  queue: { depthByStage: { ...zero, queued: 4, building: 2 } },
  seats: { busy: 2, total: 8, utilisation: 0.25, disconnected: 0, disconnectedFactories: 0 },
  dispatchLatencyMs: { buckets: cumulativeBuckets(hist), count: hist.count, sumMs: hist.sumMs },
  leaseExpiries: 1,
  retries: 3,
  breakers: [],
  dispatchPaused: false,
  openAlerts: { info: 0, warning: 1, critical: 0 },
  factories: [{ id: "f1", name: "box-a", runs: 4, successes: 3, successRate: 0.75 }],
  factoryWindowMs: 86_400_000,
};
const STATS: StatsSnapshot = {
  counts: { ...zero, queued: 4, building: 2 },
  total: 6,
  queueVersion: 9,
  generated_at: 1,
};

/** A stand-in coordinator: /metrics in the format asked, /stats; any other token than "t" is a 401 problem. */
async function coordinator(): Promise<string> {
  const stub = await stubCoordinator(async (req, reply) => {
    const url = new URL(req.url || "/", "http://x");
    if (req.headers.authorization !== "Bearer t")
      return reply.problem(401, { title: "Unauthorized", detail: "bad token", code: "unauthorized" });
    if (url.pathname === "/api/v1/products/shop/stats") return reply.json(200, STATS);
    if (url.searchParams.get("format") === "prometheus")
      return reply.text(200, await renderPrometheus(METRICS), "text/plain; version=0.0.4; charset=utf-8");
    reply.json(200, METRICS);
  });
  return stub.url;
}

const cli = (url: string, token: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "shop", token)]);

describe("gigafactory metrics", () => {
  it("prints readable fields and a factory table", async () => {
    const r = await cli(await coordinator(), "t", "metrics");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/queue\s+queued 4 · building 2$/m);
    expect(r.stdout).toMatch(/seats\s+2\/8 busy \(25%\)$/m);
    // 6 samples: ranks 3 (p50) and 5.94 (p99) fall in (0, 5] and (250, 500].
    expect(r.stdout).toMatch(
      /dispatch latency\s+p50 5 ms · p99 \d+(\.\d)? ms · 6 dispatches \(due → leased: waits for a factory or a seat count\)$/m,
    );
    expect(r.stdout).toMatch(/retries\s+3$/m);
    expect(r.stdout).toMatch(/open alerts\s+0 critical · 1 warning · 0 info$/m);
    expect(r.stdout).toMatch(/^box-a\s+4\s+3\s+75%$/m);
  });

  it("names the seats of the total whose factory's link ended, and says nothing of them when there are none", async () => {
    // Counted in the total while their heartbeats say up (~30 s after a socket closed): said apart, not left out.
    const seats = { busy: 2, total: 8, utilisation: 0.25, disconnected: 3, disconnectedFactories: 1 };
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { ...METRICS, seats }));
    const r = await cli(stub.url, "t", "metrics");
    expect(r.stdout).toMatch(
      /seats\s+2\/8 busy \(25%\) · 3 of them disconnected \(links ended: 1 factory, any status\)$/m,
    );
    // An older coordinator's answer, without the fields, reads as before.
    const old = { busy: 2, total: 8, utilisation: 0.25 };
    const before = await stubCoordinator((_req, reply) => reply.json(200, { ...METRICS, seats: old }));
    expect((await cli(before.url, "t", "metrics")).stdout).toMatch(/seats\s+2\/8 busy \(25%\)$/m);
  });

  it("says whether dispatch is paused and by whom, with no budget set too; an older answer has no such line", async () => {
    const said = async (over: Record<string, unknown>) => {
      const stub = await stubCoordinator((_req, reply) => reply.json(200, { ...METRICS, ...over }));
      return (await cli(stub.url, "t", "metrics")).stdout;
    };
    expect(await said({})).toMatch(/^\s*dispatch\s+running$/m);
    const operator = await said({ dispatchPaused: true, dispatchPausedBy: "operator" });
    expect(operator).toMatch(/^\s*budget\s+—$/m);
    expect(operator).toMatch(/^\s*dispatch\s+paused by an operator \(`gigafactory budget resume` lifts it\)$/m);
    expect(await said({ dispatchPaused: true, dispatchPausedBy: "exhausted" })).toMatch(
      /^\s*dispatch\s+paused: the budget is spent \(`gigafactory budget` says what lifts it\)$/m,
    );
    const { dispatchPaused: _older, ...older } = METRICS;
    const stub = await stubCoordinator((_req, reply) => reply.json(200, older));
    expect((await cli(stub.url, "t", "metrics")).stdout).not.toMatch(/^\s*dispatch\s+(running|paused)/m);
  });

  it("prints a p99 in the +Inf bucket as over the last bound, not as an exact 10000 ms", async () => {
    // R2's fleet: 5 of 26 dispatches took over 10 s, so the p99 is only known to exceed the last bound.
    const slow = [...Array(21).fill(40), ...Array(5).fill(60_000)].reduce(observe, emptyHistogram());
    const lat = { buckets: cumulativeBuckets(slow), count: slow.count, sumMs: slow.sumMs };
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { ...METRICS, dispatchLatencyMs: lat }));
    const r = await cli(stub.url, "t", "metrics");
    expect(r.stdout).toMatch(
      /dispatch latency\s+p50 \d+(\.\d)? ms · p99 > 10 s · 26 dispatches \(due → leased: waits for a factory or a seat count\)$/m,
    );
  });

  it("prints an open breaker's openUntil, as --json has it, its factory by name", async () => {
    const breakers = [
      { factoryId: "f1", engine: "*", state: "open", consecutiveFailures: 5, openUntil: 1_700_000_060_000 },
    ];
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { ...METRICS, breakers }));
    const r = await cli(stub.url, "t", "metrics");
    expect(r.stdout).toMatch(/^box-a\s+\*\s+open\s+5\s+2023-11-14T22:14:20Z$/m);
  });

  it("prints the API's document under --json and the exposition under --prometheus", async () => {
    const url = await coordinator();
    expect(JSON.parse((await cli(url, "t", "metrics", "--json")).stdout)).toEqual(METRICS);
    const text = await cli(url, "t", "metrics", "--prometheus");
    expect(text.code).toBe(0);
    const retries = parse(text.stdout).find((f) => f.name === "gigafactory_retries_total");
    expect(Number(retries?.metrics[0]?.value)).toBe(3);
    const both = await cli(url, "t", "metrics", "--prometheus", "--json");
    expect(both.code).toBe(2);
  });

  it("reports a refused read as one error line", async () => {
    const r = await cli(await coordinator(), "wrong", "metrics");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR unauthorized: /);
  });
});

describe("gigafactory stats", () => {
  it("prints a stage table with the total, or the document under --json", async () => {
    const url = await coordinator();
    const r = await cli(url, "t", "stats");
    expect(r.stdout).toMatch(/^queued\s+4$/m);
    expect(r.stdout).toMatch(/^total\s+6$/m);
    expect(JSON.parse((await cli(url, "t", "stats", "--json")).stdout)).toEqual(STATS);
  });
});
