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
 * RSS is sampled across all of them. The growth scenario is one fresh system
 * per cell. `--only` runs a subset (the others are reported as skipped).
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { errorLine } from "../src/shared/fixable-error.ts";
import { type Counts, describeCounts, FULL, QUICK } from "./counts.ts";
import { dispatchLatency } from "./dispatch-latency.ts";
import { feedFanout } from "./feed-fanout.ts";
import { createProduct, type Target } from "./fleet.ts";
import { GROWTH_PRODUCT, growthCell, growthCells } from "./growth.ts";
import { idleConnections } from "./idle-connections.ts";
import { LocalSystem } from "./local-system.ts";
import { machine } from "./machine.ts";
import { TreeSampler, workerdCpuMs } from "./proc-tree.ts";
import { recovery } from "./recovery.ts";
import { type Results, type Scenario, table, toJson } from "./report.ts";
import { throughput } from "./throughput.ts";

/** Every scenario's product (the `PRODUCT` of each scenario file), created on each fresh system. */
const BENCH_PRODUCTS = [
  "bench-latency",
  "bench-throughput",
  "bench-recovery",
  "bench-fanout",
  "bench-idle",
  GROWTH_PRODUCT,
];
/** `--only` values, in the order the suite runs them. */
const SCENARIOS = ["latency", "recovery", "fanout", "idle", "throughput", "growth"] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--json] [--only <scenario>[,<scenario>…]]
  --json   print one JSON object on stdout (progress still goes to stderr)
  --quick  smaller counts: a smoke run of every scenario in a few minutes
  --only   run only these scenarios (${SCENARIOS.join(", ")}); the rest are reported as skipped
`;

const SEE_USAGE = "see the usage below";

/**
 * How a scenario ended, from whether the local runtime is still up and the signal the user sent, if any: a runtime
 * this process stopped after Ctrl-C (or SIGTERM) is `interrupted`, not a crash — it was reported "LOCAL SERVER DIED"
 * and counted among the run's crashes. `crashed`: it exited with no signal given.
 */
export function scenarioEnd(alive: boolean, interrupted: NodeJS.Signals | undefined): "ok" | "interrupted" | "crashed" {
  if (interrupted) return "interrupted";
  return alive ? "ok" : "crashed";
}

/** The parsed command line, or the usage error to print (exit 2). */
export function parseArgs(
  argv: string[],
): { json: boolean; quick: boolean; help: boolean; only: Set<ScenarioName> } | string {
  let json = false;
  let quick = false;
  let help = false;
  let only: Set<ScenarioName> | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    // A lone `--`: npm passes on every `--` after its own, as in `npm run bench -- --quick -- --json`.
    if (a === "--") continue;
    if (a === "--json") json = true;
    else if (a === "--quick") quick = true;
    else if (a === "--help" || a === "-h") help = true;
    else if (a === "--only" || a.startsWith("--only=")) {
      const value = a === "--only" ? argv[++i] : a.slice("--only=".length);
      if (!value) return "--only needs a scenario name";
      only ??= new Set();
      for (const v of value.split(",")) {
        if (!(SCENARIOS as readonly string[]).includes(v)) return `unknown scenario "${v}" for --only`;
        only.add(v as ScenarioName);
      }
    } else return `unknown option ${a}`;
  }
  return { json, quick, help, only: only ?? new Set(SCENARIOS) };
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string" || args.help) {
    const bad = typeof args === "string" ? `${errorLine({ code: "bad_option", message: args, fix: SEE_USAGE })}\n` : "";
    process.stderr.write(`${bad}${USAGE}`);
    return typeof args === "string" ? 2 : 0;
  }
  const { json, only } = args;
  const counts: Counts = args.quick ? QUICK : FULL;
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (s: string) =>
    process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);
  log(describeCounts(counts));
  if (only.size < SCENARIOS.length) log(`only: ${[...only].join(", ")}`);

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
    async function scenario<T>(key: ScenarioName, name: string, fn: (t: Target) => Promise<T>): Promise<Scenario<T>> {
      if (!only.has(key)) return { skipped: true };
      if (!first) {
        server = await system.fresh();
        s.follow(server.child.pid ?? 0);
        log(`fresh local system at ${server.url} (runtime pid ${server.child.pid})`);
      }
      first = false;
      const root = server.child.pid ?? 0;
      const t: Target = {
        base: server.url,
        admin: system.admin,
        alive: () => system.alive,
        workerdCpuMs: () => workerdCpuMs(root),
      };
      for (const id of BENCH_PRODUCTS) await createProduct(t, id);
      const out: Scenario<T> = { settledMs: await s.settle(counts.settleMs) };
      log(`${name}: start (waited ${out.settledMs} ms for a quiet runtime)`);
      const close = s.window();
      const cpu0 = process.cpuUsage();
      try {
        out.value = await fn(t);
      } catch (err) {
        out.error = (err as Error).message;
        // Stopping the runtime after Ctrl-C fails the scenario's requests: said as the interruption it is.
        if (interrupted) log(`${name}: interrupted (${interrupted})`);
        else log(`${name} FAILED: ${out.error}`);
      }
      const w = close();
      const cpu = process.cpuUsage(cpu0);
      const benchCpuPct = Math.round(((cpu.user + cpu.system) / 1e6 / Math.max(w.seconds, 0.001)) * 100);
      out.window = { ...w, benchCpuPct };
      const end = scenarioEnd(system.alive, interrupted);
      if (end === "interrupted") log(`${name}: interrupted (${interrupted}); the local server is being stopped`);
      if (end === "crashed") {
        crashes++;
        out.crashed = `the local runtime exited (${system.exitStatus}) during this scenario: ${system.lastWords() || "no message"}`;
        log(`${name}: LOCAL SERVER DIED — ${out.crashed}`);
      }
      log(`${name}: done in ${w.seconds.toFixed(1)} s, runtime peak ${w.peakRssMb} MB`);
      if (w.restarts) log(`${name}: WARNING the runtime was restarted ${w.restarts}× during this scenario`);
      return out;
    }

    const sub = (name: string) => (m: string) => log(`${name}: ${m}`);
    const latency = await scenario("latency", "1 dispatch latency", (t) =>
      dispatchLatency(t, counts.latency, sub("1 dispatch latency")),
    );
    const rec = await scenario("recovery", "3 recovery", (t) => recovery(t, counts.recovery, sub("3 recovery")));
    const fanout = await scenario("fanout", "4 feed fan-out", (t) =>
      feedFanout(t, counts.fanout, sub("4 feed fan-out")),
    );
    const idle = await scenario("idle", "5 idle connections", (t) =>
      idleConnections(t, counts.idle, sub("5 idle connections")),
    );
    const tp = await scenario("throughput", "2 throughput", (t) =>
      throughput(t, counts.throughput, sub("2 throughput")),
    );
    const growth = [];
    for (const cell of only.has("growth") ? growthCells(counts.growth) : []) {
      const name = `7 growth depth ${cell.depth} · ${cell.fleet} factories`;
      growth.push(await scenario("growth", name, (t) => growthCell(t, counts.growth, cell, sub(name))));
    }
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
      growth,
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
    return [latency, tp, rec, fanout, idle, ...growth].some((x) => x.error) ? 1 : 0;
  } finally {
    log("stopping the local server");
    await cleanup();
    log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
