/**
 * `npm run bench:profile` — where the coordinator's CPU goes: runs the throughput scenario (quick counts, or
 * `--jobs N`) against a fresh local runtime with the Worker's inspector open, samples it with the DevTools
 * protocol's `Profiler`, and prints self time by function and by source file (the bundle's sourcemap-free
 * names, so function names are what to read). Loopback only; stops everything it started.
 *
 * `--attach PORT [--seconds S]` profiles a runtime someone else started instead, for S seconds (default 15):
 * `GIGAFACTORY_INSPECTOR_PORT=PORT npm run dev` under the shared peer harness, say — its W1 spends the runtime
 * differently from our own scenarios (bench/README, issue 12 fourth pass). Nothing is started or stopped then.
 *
 * Why a sampling profile and not timers in the code: the Worker's isolate runs the coordinator, every job feed
 * and the history consumer on one thread locally, and only the profiler sees all of them at once.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { freePort } from "../scripts/local-server.ts";
import { errorLine } from "../src/shared/fixable-error.ts";
import { FULL, QUICK } from "./counts.ts";
import { dispatchLatency } from "./dispatch-latency.ts";
import { createProduct, type Target } from "./fleet.ts";
import { LocalSystem } from "./local-system.ts";
import { workerdCpuMs } from "./proc-tree.ts";
import { type Profile, printProfile, selfTimes } from "./profile-report.ts";
import { throughput } from "./throughput.ts";

/** One DevTools-protocol session over the inspector's WebSocket. */
type Send = (method: string, params?: object) => Promise<unknown>;

async function devtools(port: number): Promise<Send> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl?: string;
    title?: string;
  }>;
  const target = targets.find((t) => /gigafactory/.test(t.title ?? "")) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((res, rej) => ws.once("open", res).once("error", rej));
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.error ? Promise.reject(msg.error) : msg.result);
  });
  return (method, params = {}) =>
    new Promise((res) => {
      const id = next++;
      waiting.set(id, res);
      ws.send(JSON.stringify({ id, method, params }));
    });
}

/** Start the sampler on the inspector at `port`; the returned function stops it and hands back the profile. */
async function sample(port: number): Promise<() => Promise<Profile>> {
  const send = await devtools(port);
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 500 });
  await send("Profiler.start");
  return async () => ((await send("Profiler.stop")) as { profile: Profile }).profile;
}

/** `--attach PORT [--seconds S]`: a running runtime's isolate, sampled for S seconds. */
async function attach(argv: string[]): Promise<number> {
  const port = Number(argv[argv.indexOf("--attach") + 1]);
  const secondsAt = argv.indexOf("--seconds");
  const seconds = secondsAt >= 0 ? Number(argv[secondsAt + 1]) : 15;
  if (!Number.isInteger(port) || port <= 0 || !(seconds > 0)) {
    const message = "bench:profile -- --attach PORT [--seconds S]";
    console.error(errorLine({ code: "usage", message, fix: "PORT is the runtime's inspector port" }));
    return 2;
  }
  const stop = await sample(port);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const profile = await stop();
  const wall = (profile.endTime - profile.startTime) / 1000;
  const idle = selfTimes(profile, (n) => n.callFrame.functionName).find(([k]) => k === "(idle)")?.[1] ?? 0;
  console.log(
    `attached to :${port} for ${seconds} s: isolate busy ${(wall - idle).toFixed(0)} of ${wall.toFixed(0)} ms`,
  );
  printProfile(profile, argv);
  return 0;
}

/** The positive number after `flag` in `argv`, or undefined when the flag is absent; throws on a bad value. */
function numberArg(argv: readonly string[], flag: string): number | undefined {
  const at = argv.indexOf(flag);
  if (at < 0) return undefined;
  const n = Number(argv[at + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${argv[at + 1]}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--attach")) return attach(argv);
  const jobsArg = argv.indexOf("--jobs");
  const jobs = jobsArg >= 0 ? Number(argv[jobsArg + 1]) : QUICK.throughput.jobs;
  const log = (s: string) => process.stderr.write(`[profile] ${s}\n`);
  const port = await freePort();
  process.env.GIGAFACTORY_INSPECTOR_PORT = String(port);
  const system = new LocalSystem(`bench-${randomUUID()}`, log);
  try {
    const server = await system.start();
    const t: Target = { base: server.url, admin: system.admin, alive: () => system.alive };
    await createProduct(t, "bench-throughput");
    await createProduct(t, "bench-latency");
    const latency = argv.includes("--latency");
    // --rate/--seconds: W2 below capacity (e.g. 120/s), where µs/job compares builds; at 200/s the isolate is
    // saturated and busy ≈ wall whatever a job costs.
    const rate = numberArg(argv, "--rate") ?? FULL.latency.rate;
    const seconds = numberArg(argv, "--seconds") ?? 5;
    const stop = await sample(port);
    // workerd's own CPU from /proc, every thread: the profiler's "busy" counts time the isolate waits unsampled.
    const cpu0 = workerdCpuMs(process.pid);
    // --latency: scenario 1 (single submits at --rate, 200/s by default) instead of the throughput scenario.
    const r = latency
      ? await dispatchLatency(t, { ...FULL.latency, rate, seconds }, log).then((p) => ({
          jobsPerSec: p.assigned / seconds,
          completed: p.assigned,
          submitted: p.submitted,
        }))
      : await throughput(t, { ...QUICK.throughput, jobs, window: Math.min(jobs, 1_000), batchSize: 250 }, log);
    const cpu1 = workerdCpuMs(process.pid);
    const profile = await stop();
    const wall = (profile.endTime - profile.startTime) / 1000;
    const idle = selfTimes(profile, (n) => n.callFrame.functionName).find(([k]) => k === "(idle)")?.[1] ?? 0;
    const busy = wall - idle;
    console.log(
      `throughput ${r.jobsPerSec.toFixed(0)} jobs/s (${r.completed}/${r.submitted}), ` +
        `isolate busy ${busy.toFixed(0)} of ${wall.toFixed(0)} ms → ${((busy * 1000) / Math.max(1, r.completed)).toFixed(0)} µs/job` +
        (cpu0 !== null && cpu1 !== null
          ? `; workerd CPU ${((1000 * (cpu1 - cpu0)) / Math.max(1, r.completed)).toFixed(0)} µs/job (/proc)`
          : ""),
    );
    printProfile(profile, argv);
    return 0;
  } finally {
    await system.stopAll();
  }
}

process.exit(await main(process.argv.slice(2)));
