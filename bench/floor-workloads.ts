/**
 * The floor's two workloads (bench/floor.ts), as the peers harness shapes W1 and W2 for gigafactory-ws: factories
 * of 4 seats that answer every assignment with accept → progress `building` → complete, each frame awaited for its
 * ack, the handler starting after the building ack. CPU is workerd's (/proc, every thread), over the workload.
 * Each run ends with the floor's own count of finished jobs, read from storage: a job refused or lost fails the
 * run, as it would in the harness; a job pushed twice is counted (`duplicates`), as the harness counts it.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type FloorFactory, openFactories } from "./floor-factory.ts";
import { workerdCpuMs } from "./proc-tree.ts";
import { percentile } from "./stats.ts";

/** W1's batch: the harness's `jobs:batch` size. */
const BATCH = 1_000;
/** How long a workload may take before it is called lost (ms): the harness allows 900 s for W1, 120 s for W2. */
const DEADLINE_MS = 600_000;
/** W2's untimed warm-up submits, and the quiet after them (ms): the harness times a warm runtime after a settle. */
const WARMUP = 200;
const SETTLE_MS = 2_000;

export interface Options {
  /** Accept and building acked from memory (floor-worker `memory`): what per-frame commits cost. */
  memory: boolean;
}

interface Figures {
  jobs: number;
  /** Jobs pushed more than once: 0, or the floor is not a coordinator. */
  duplicates: number;
  /** workerd CPU (µs) per job over the run; null off Linux. */
  cpuUsPerJob: number | null;
  /** This process's CPU (µs) per job: the factories' and the submitter's side, to see it is not the limit. */
  clientUsPerJob: number;
  /** Cores busy with anything else on the machine, on average over the run: above ~0.25 the run is suspect. */
  foreignCores: number | null;
}

export interface W1Figures extends Figures {
  jobsPerSec: number;
}

export interface W2Figures extends Figures {
  rate: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

async function post(base: string, jobs: Array<{ key: string; body: string }>): Promise<void> {
  const res = await fetch(`${base}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jobs }),
  });
  if (res.status !== 201) throw new Error(`submit answered HTTP ${res.status}`);
  await res.arrayBuffer();
}

/** The floor's finished jobs, read from its storage. */
async function doneJobs(base: string): Promise<number> {
  const stats = (await (await fetch(`${base}/stats`)).json()) as Record<string, number>;
  return stats.done ?? 0;
}

/** The run finished exactly `expected` more jobs in the floor's storage than there were `before`. */
async function checkDone(base: string, before: number, expected: number): Promise<void> {
  const done = (await doneJobs(base)) - before;
  if (done !== expected)
    throw new Error(`the floor's storage shows ${done} jobs finished by this run, not ${expected}`);
}

/** The machine's busy CPU so far (ms, every core), from /proc/stat; null off Linux. */
function machineBusyMs(): number | null {
  try {
    const [, ...f] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10; // USER_HZ 100
  } catch {
    return null;
  }
}

/** Workerd's and this process's CPU from now on, per job, and the rest of the machine's. */
function meter(): (jobs: number) => Pick<Figures, "cpuUsPerJob" | "clientUsPerJob" | "foreignCores"> {
  const c0 = workerdCpuMs(process.pid);
  const u0 = process.cpuUsage();
  const m0 = machineBusyMs();
  const t0 = performance.now();
  return (jobs) => {
    const c1 = workerdCpuMs(process.pid);
    const u = process.cpuUsage(u0);
    const m1 = machineBusyMs();
    const workerdMs = c0 === null || c1 === null ? null : c1 - c0;
    const clientMs = (u.user + u.system) / 1000;
    const foreignMs = m0 === null || m1 === null || workerdMs === null ? null : m1 - m0 - workerdMs - clientMs;
    return {
      cpuUsPerJob: workerdMs === null ? null : (workerdMs * 1000) / jobs,
      clientUsPerJob: (clientMs * 1000) / jobs,
      foreignCores: foreignMs === null ? null : Math.max(0, foreignMs / (performance.now() - t0)),
    };
  };
}

/** Waits for `done`, failing the run at the deadline or on a refused frame. */
async function finished(factories: readonly FloorFactory[], done: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`jobs still unfinished after ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
  });
  try {
    await Promise.race([done, late, ...factories.map((f) => f.failed)]);
  } finally {
    clearTimeout(timer);
  }
}

/** W1: `jobs` jobs in batches of 1,000, finished by 2 × 4 seats; jobs/s from the first submit to the last ack. */
export async function floorW1(base: string, jobs: number, opts: Options, log: (s: string) => void): Promise<W1Figures> {
  const before = await doneJobs(base);
  const run = randomUUID(); // idempotency keys of this run only: another run on the same floor queues its own
  const { factories, progress, close } = await openFactories(base, jobs, opts.memory);
  try {
    const cpu = meter();
    const t0 = performance.now();
    for (let i = 0; i < jobs; i += BATCH) {
      const n = Math.min(BATCH, jobs - i);
      await post(
        base,
        Array.from({ length: n }, (_, k) => ({ key: `${run}:${i + k}`, body: `{"seq":${i + k}}` })),
      );
    }
    await finished(factories, progress.all);
    const seconds = (performance.now() - t0) / 1000;
    const figures = { jobs, duplicates: progress.duplicates, jobsPerSec: jobs / seconds, ...cpu(jobs) };
    await checkDone(base, before, jobs);
    log(`W1 done: ${jobs} jobs in ${seconds.toFixed(1)} s`);
    return figures;
  } finally {
    close();
  }
}

/** W2: single submits at `rate`/s for `seconds` after a warm-up; latency from the submit leaving to handler start. */
export async function floorW2(
  base: string,
  rate: number,
  seconds: number,
  opts: Options,
  log: (s: string) => void,
): Promise<W2Figures> {
  const jobs = Math.max(1, Math.round(rate * seconds));
  const before = await doneJobs(base);
  const run = randomUUID();
  const { factories, progress, close } = await openFactories(base, WARMUP + jobs, opts.memory);
  try {
    // Untimed: the runtime's first requests compile and connect, which a long-lived server did long ago.
    await post(
      base,
      Array.from({ length: WARMUP }, (_, i) => ({ key: `${run}:warm:${i}`, body: `{"warm":${i}}` })),
    );
    await finished(factories, progress.reached(WARMUP));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    progress.onStart = (body) => {
      const at = sentAt.get(body);
      if (at !== undefined) latencies.push(performance.now() - at);
    };
    const cpu = meter();
    const t0 = performance.now();
    const submits: Promise<void>[] = [];
    for (let i = 0; i < jobs; i++) {
      // Paced against the clock, not by sleeps that add up: job i leaves at t0 + i / rate.
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = `{"seq":${i}}`;
      sentAt.set(body, performance.now());
      submits.push(post(base, [{ key: `${run}:${i}`, body }]));
    }
    await Promise.all(submits);
    await finished(factories, progress.all);
    const sorted = latencies.sort((a, b) => a - b);
    const figures = {
      jobs,
      duplicates: progress.duplicates,
      rate,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      ...cpu(jobs),
    };
    await checkDone(base, before, WARMUP + jobs);
    log(`W2 done: ${jobs} jobs (after ${WARMUP} untimed)`);
    return figures;
  } finally {
    close();
  }
}
