/**
 * The benchmark proper: start the local system (fresh state, free loopback
 * port, its own admin token), run every scenario against its own product so
 * they do not share a coordinator, sample the runtime's memory throughout,
 * print the figures, and stop everything it started — on success, on error
 * and on Ctrl-C.
 *
 * Each scenario gets a fresh local system (new runtime, new state): a
 * scenario leaves minutes of background work behind (outbox → job feeds,
 * history → queue → D1) that would otherwise be measured by the next one,
 * and should the runtime die, only that scenario's figures are partial. Peak
 * RSS is sampled across all of them.
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { type Counts, describeCounts, FULL, QUICK } from "./counts.ts";
import { dispatchLatency } from "./dispatch-latency.ts";
import { feedFanout } from "./feed-fanout.ts";
import { createProduct, type Target } from "./fleet.ts";
import { idleConnections } from "./idle-connections.ts";
import { LocalSystem } from "./local-system.ts";
import { machine } from "./machine.ts";
import { TreeSampler } from "./proc-tree.ts";
import { recovery } from "./recovery.ts";
import { type Results, type Scenario, table, toJson } from "./report.ts";
import { throughput } from "./throughput.ts";

/** Every scenario's product (the `PRODUCT` of each scenario file), created on each fresh system. */
const BENCH_PRODUCTS = ["bench-latency", "bench-throughput", "bench-recovery", "bench-fanout", "bench-idle"];

const USAGE = `usage: npm run bench [-- --json] [-- --quick]
  --json   print one JSON object on stdout (progress still goes to stderr)
  --quick  smaller counts: a smoke run of every scenario in a few minutes
`;

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

export async function main(argv: string[]): Promise<number> {
  const known = new Set(["--json", "--quick", "--help", "-h"]);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(unknown.length ? `unknown option ${unknown[0]}\n${USAGE}` : USAGE);
    return unknown.length ? 2 : 0;
  }
  const json = argv.includes("--json");
  const counts: Counts = argv.includes("--quick") ? QUICK : FULL;
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (s: string) =>
    process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);
  log(describeCounts(counts));

  const system = new LocalSystem(`bench-${randomUUID()}`, log);
  let sampler: TreeSampler | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const cleanup = async () => {
    sampler?.stop();
    await system.stopAll();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    // While the runtime is still starting we do not know its pid yet: main stops it as soon as it is up.
    if (!system.server) return log(`${sig}: will stop the local server as soon as it is up`);
    log(`${sig}: stopping the local server`);
    void cleanup().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    let server = await system.start();
    if (interrupted) return interrupted === "SIGINT" ? 130 : 143;
    const s = new TreeSampler(server.child.pid ?? 0);
    sampler = s;
    s.start(500);
    log(`up at ${server.url} (runtime pid ${server.child.pid})`);
    const loadStart = loadavg();
    let crashes = 0;

    let first = true;
    async function scenario<T>(name: string, fn: (t: Target) => Promise<T>): Promise<Scenario<T>> {
      if (!first) {
        server = await system.fresh();
        s.follow(server.child.pid ?? 0);
        log(`fresh local system at ${server.url} (runtime pid ${server.child.pid})`);
      }
      first = false;
      const t: Target = { base: server.url, admin: system.admin, alive: () => system.alive };
      for (const id of BENCH_PRODUCTS) await createProduct(t, id);
      const out: Scenario<T> = { settledMs: await s.settle(counts.settleMs) };
      log(`${name}: start (waited ${out.settledMs} ms for a quiet runtime)`);
      const close = s.window();
      const cpu0 = process.cpuUsage();
      try {
        out.value = await fn(t);
      } catch (err) {
        out.error = (err as Error).message;
        log(`${name} FAILED: ${out.error}`);
      }
      const w = close();
      const cpu = process.cpuUsage(cpu0);
      const benchCpuPct = Math.round(((cpu.user + cpu.system) / 1e6 / Math.max(w.seconds, 0.001)) * 100);
      out.window = { ...w, benchCpuPct };
      if (!system.alive) {
        crashes++;
        out.crashed = `the local runtime exited (${system.exitStatus}) during this scenario: ${system.lastWords() || "no message"}`;
        log(`${name}: LOCAL SERVER DIED — ${out.crashed}`);
      }
      log(`${name}: done in ${w.seconds.toFixed(1)} s, runtime peak ${w.peakRssMb} MB`);
      if (w.restarts) log(`${name}: WARNING the runtime was restarted ${w.restarts}× during this scenario`);
      return out;
    }

    const sub = (name: string) => (m: string) => log(`${name}: ${m}`);
    const latency = await scenario("1 dispatch latency", (t) =>
      dispatchLatency(t, counts.latency, sub("1 dispatch latency")),
    );
    const rec = await scenario("3 recovery", (t) => recovery(t, counts.recovery, sub("3 recovery")));
    const fanout = await scenario("4 feed fan-out", (t) => feedFanout(t, counts.fanout, sub("4 feed fan-out")));
    const idle = await scenario("5 idle connections", (t) =>
      idleConnections(t, counts.idle, sub("5 idle connections")),
    );
    const tp = await scenario("2 throughput", (t) => throughput(t, counts.throughput, sub("2 throughput")));
    s.sample();

    const results: Results = {
      counts,
      startedAt,
      runtimeSeconds: (performance.now() - t0) / 1000,
      machine: machine(),
      peakRssMb: s.peakRssMb,
      restarts: s.restarts,
      crashes,
      loadAvg: { start: loadStart, end: loadavg() },
      latency,
      throughput: tp,
      recovery: rec,
      fanout,
      idle,
    };
    await write(json ? `${JSON.stringify(toJson(results))}\n` : table(results));
    if (crashes) log(`WARNING: the local server died ${crashes}× during the run; see the scenarios marked CRASHED`);
    if (s.restarts) {
      log(
        `WARNING: the runtime was restarted ${s.restarts}× during the run (a new workerd appeared). ` +
          "Figures measured across a restart are not valid; rerun.",
      );
    }
    if (crashes || s.restarts) return 3;
    return [latency, tp, rec, fanout, idle].some((x) => x.error) ? 1 : 0;
  } finally {
    log("stopping the local server");
    await cleanup();
    log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
