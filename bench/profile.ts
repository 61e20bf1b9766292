/**
 * `npm run bench:profile` — where the coordinator's CPU goes: runs the throughput scenario (quick counts, or
 * `--jobs N`) against a fresh local runtime with the Worker's inspector open, samples it with the DevTools
 * protocol's `Profiler`, and prints self time by function and by source file (the bundle's sourcemap-free
 * names, so function names are what to read). Loopback only; stops everything it started.
 *
 * Why a sampling profile and not timers in the code: the Worker's isolate runs the coordinator, every job feed
 * and the history consumer on one thread locally, and only the profiler sees all of them at once.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { freePort } from "../scripts/local-server.ts";
import { FULL, QUICK } from "./counts.ts";
import { dispatchLatency } from "./dispatch-latency.ts";
import { createProduct, type Target } from "./fleet.ts";
import { LocalSystem } from "./local-system.ts";
import { throughput } from "./throughput.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  positionTicks?: Array<{ line: number; ticks: number }>;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

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

/** Self time (ms) per key, biggest first. */
function selfTimes(p: Profile, key: (n: ProfileNode) => string): Array<[string, number]> {
  const total = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const perSample = (p.endTime - p.startTime) / 1000 / total;
  const by = new Map<string, number>();
  for (const n of p.nodes) by.set(key(n), (by.get(key(n)) ?? 0) + (n.hitCount ?? 0) * perSample);
  return [...by].sort((a, b) => b[1] - a[1]);
}

export async function main(argv: string[]): Promise<number> {
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
    const send = await devtools(port);
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 500 });
    await send("Profiler.start");
    // --latency: scenario 1 (single submits at 200/s) instead of the throughput scenario.
    const r = latency
      ? await dispatchLatency(t, { ...FULL.latency, seconds: 5 }, log).then((p) => ({
          jobsPerSec: p.assigned / 5,
          completed: p.assigned,
          submitted: p.submitted,
        }))
      : await throughput(t, { ...QUICK.throughput, jobs, window: Math.min(jobs, 1_000), batchSize: 250 }, log);
    const { profile } = (await send("Profiler.stop")) as { profile: Profile };
    const wall = (profile.endTime - profile.startTime) / 1000;
    const idle = selfTimes(profile, (n) => n.callFrame.functionName).find(([k]) => k === "(idle)")?.[1] ?? 0;
    const busy = wall - idle;
    console.log(
      `throughput ${r.jobsPerSec.toFixed(0)} jobs/s (${r.completed}/${r.submitted}), ` +
        `isolate busy ${busy.toFixed(0)} of ${wall.toFixed(0)} ms → ${((busy * 1000) / Math.max(1, r.completed)).toFixed(0)} µs/job`,
    );
    const show = (title: string, rows: Array<[string, number]>) => {
      console.log(`\n${title}`);
      for (const [k, ms] of rows.slice(0, 30)) console.log(`${((100 * ms) / wall).toFixed(1).padStart(6)} %  ${k}`);
    };
    show(
      "self time by function",
      selfTimes(
        profile,
        (n) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`,
      ),
    );
    if (argv.includes("--inclusive")) {
      // Time under each function, callees included (a recursive function counted once): which path costs what.
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
      const by = new Map<string, number>();
      const walk = (id: number, open: Set<string>): number => {
        const n = byId.get(id)!;
        const name = n.callFrame.functionName || "(anon)";
        const first = !open.has(name);
        const inner = first ? new Set(open).add(name) : open;
        let sum = n.hitCount ?? 0;
        for (const c of n.children ?? []) sum += walk(c, inner);
        if (first) by.set(name, (by.get(name) ?? 0) + sum);
        return sum;
      };
      walk(profile.nodes[0]!.id, new Set());
      console.log("\ninclusive time by function");
      for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 45))
        console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
    }
    const callers = argv.indexOf("--callers");
    if (callers >= 0) {
      // Who calls a hot helper (e.g. `one`, the SQL helper): its self time split by the calling function.
      const name = argv[callers + 1] ?? "";
      const parent = new Map<number, ProfileNode>();
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
      const by = new Map<string, number>();
      for (const n of profile.nodes) {
        if (n.callFrame.functionName !== name) continue;
        const p = parent.get(n.id)?.callFrame.functionName || "(anon)";
        by.set(p, (by.get(p) ?? 0) + (n.hitCount ?? 0));
      }
      const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
      console.log(`\ncallers of ${name}`);
      for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 20))
        console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
    }
    for (const name of argv.flatMap((a, i) => (argv[i - 1] === "--children" ? [a] : []))) {
      // Where a function's time goes (`--children NAME`, repeatable): its callees' inclusive time, self time as
      // "(self)", over every call site of NAME.
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const inclusive = (id: number): number => {
        const n = byId.get(id)!;
        return (n.hitCount ?? 0) + (n.children ?? []).reduce((s, c) => s + inclusive(c), 0);
      };
      const by = new Map<string, number>();
      for (const n of profile.nodes) {
        if (n.callFrame.functionName !== name) continue;
        by.set("(self)", (by.get("(self)") ?? 0) + (n.hitCount ?? 0));
        for (const c of n.children ?? []) {
          const k = byId.get(c)!.callFrame.functionName || "(anon)";
          by.set(k, (by.get(k) ?? 0) + inclusive(c));
        }
      }
      const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
      console.log(`\ncallees of ${name} (inclusive)`);
      for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25))
        console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
    }
    if (argv.includes("--lines")) {
      // The hottest lines of the bundle (1-based): where inside a function its self time goes.
      const lines = new Map<string, number>();
      for (const n of profile.nodes)
        for (const t of n.positionTicks ?? [])
          lines.set(
            `${n.callFrame.functionName || "(anon)"}:${t.line}`,
            (lines.get(`${n.callFrame.functionName || "(anon)"}:${t.line}`) ?? 0) + t.ticks,
          );
      const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
      console.log("\nhottest bundle lines");
      for (const [k, v] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 25))
        console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
    }
    return 0;
  } finally {
    await system.stopAll();
  }
}

process.exit(await main(process.argv.slice(2)));
