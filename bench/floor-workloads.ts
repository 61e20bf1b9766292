/**
 * The floor's two workloads (bench/floor.ts), as the peers harness shapes W1 and W2 for gigafactory-ws: factories
 * of 4 seats that answer every assignment with accept → progress `building` → complete, each frame awaited for its
 * ack, the handler starting after the building ack. CPU is workerd's (/proc, every thread), over the workload.
 */
import WebSocket from "ws";
import { workerdCpuMs } from "./proc-tree.ts";
import { percentile } from "./stats.ts";

const FACTORIES = 2;
const SEATS = 4;
const BATCH = 500;

export interface W1Figures {
  jobs: number;
  /** Jobs completed more than once: 0, or the floor is not a coordinator. */
  duplicates: number;
  jobsPerSec: number;
  /** workerd CPU (µs) per job over the run; null off Linux. */
  cpuUsPerJob: number | null;
  /** This process's CPU (µs) per job: the factories' and the submitter's side, to see it is not the limit. */
  clientUsPerJob: number;
}

export interface W2Figures {
  jobs: number;
  duplicates: number;
  rate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuUsPerJob: number | null;
  clientUsPerJob: number;
}

interface Assignment {
  jobId: number;
  leaseEpoch: number;
  body: string;
}

/** One factory socket: `request` sends a frame and resolves on its ack; `onStart` hears each handler start. */
class FloorFactory {
  private next = 0;
  private readonly waiting = new Map<string, () => void>();
  onStart: (a: Assignment) => void = () => {};
  onDone: (a: Assignment) => void = () => {};
  private readonly ws: WebSocket;

  // A plain field, not a parameter property: this file runs on Node's type stripping.
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (raw) => {
      const f = JSON.parse(String(raw)) as { type: string; id?: string; code?: string; assignments?: Assignment[] };
      if (f.type === "assign") for (const a of f.assignments ?? []) void this.run(a);
      else if (f.id && this.waiting.has(f.id)) {
        if (f.type === "error") throw new Error(`floor refused a frame: ${f.code}`);
        this.waiting.get(f.id)?.();
        this.waiting.delete(f.id);
      }
    });
  }

  static async connect(base: string): Promise<FloorFactory> {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/connect`);
    await new Promise((res, rej) => ws.once("open", res).once("error", rej));
    const f = new FloorFactory(ws);
    const welcomed = new Promise((res) => ws.once("message", res));
    ws.send(JSON.stringify({ type: "hello", seats: SEATS }));
    await welcomed;
    return f;
  }

  private request(type: string, a: Assignment): Promise<void> {
    const id = String(++this.next);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ type, id, jobId: a.jobId, leaseEpoch: a.leaseEpoch }));
    });
  }

  private async run(a: Assignment): Promise<void> {
    await this.request("accept", a);
    await this.request("progress", a);
    this.onStart(a);
    await this.request("complete", a);
    this.onDone(a);
  }

  close(): void {
    this.ws.close();
  }
}

/** Completed jobs by id: `all` resolves once `jobs` distinct jobs are done; a second completion is a duplicate. */
class Completions {
  private readonly seen = new Set<number>();
  duplicates = 0;
  private resolve: () => void = () => {};
  readonly all = new Promise<void>((r) => {
    this.resolve = r;
  });
  private readonly jobs: number;

  constructor(jobs: number) {
    this.jobs = jobs;
  }

  add(a: Assignment): void {
    if (this.seen.has(a.jobId)) this.duplicates++;
    this.seen.add(a.jobId);
    if (this.seen.size === this.jobs) this.resolve();
  }
}

async function submit(base: string, bodies: string[]): Promise<void> {
  const res = await fetch(`${base}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ bodies }),
  });
  if (res.status !== 201) throw new Error(`submit answered HTTP ${res.status}`);
  await res.arrayBuffer();
}

function cpuNow(): number | null {
  return workerdCpuMs(process.pid);
}

/** This process's CPU (µs, user + system) since `from`, per job. */
const clientPerJob = (from: NodeJS.CpuUsage, jobs: number) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / Math.max(1, jobs);
};

const perJob = (c0: number | null, jobs: number) => {
  const c1 = cpuNow();
  return c0 === null || c1 === null || jobs === 0 ? null : ((c1 - c0) * 1000) / jobs;
};

/** W1: `jobs` jobs in batches of 500, finished by 2 × 4 seats; jobs/s from the first submit to the last ack. */
export async function floorW1(base: string, jobs: number, log: (s: string) => void): Promise<W1Figures> {
  const factories = await Promise.all(Array.from({ length: FACTORIES }, () => FloorFactory.connect(base)));
  const done = new Completions(jobs);
  for (const f of factories) f.onDone = (a) => done.add(a);
  const c0 = cpuNow();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += BATCH) {
    await submit(
      base,
      Array.from({ length: Math.min(BATCH, jobs - i) }, (_, k) => JSON.stringify({ seq: i + k })),
    );
  }
  await done.all;
  const seconds = (performance.now() - t0) / 1000;
  const cpuUsPerJob = perJob(c0, jobs);
  for (const f of factories) f.close();
  log(`W1 done: ${jobs} jobs in ${seconds.toFixed(1)} s`);
  const duplicates = done.duplicates;
  return { jobs, duplicates, jobsPerSec: jobs / seconds, cpuUsPerJob, clientUsPerJob: clientPerJob(u0, jobs) };
}

/** W2: single submits at `rate`/s for `seconds`; latency from the submit leaving to the handler start. */
export async function floorW2(
  base: string,
  rate: number,
  seconds: number,
  log: (s: string) => void,
): Promise<W2Figures> {
  const factories = await Promise.all(Array.from({ length: FACTORIES }, () => FloorFactory.connect(base)));
  const jobs = Math.round(rate * seconds);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const done = new Completions(jobs);
  for (const f of factories) {
    f.onStart = (a) => latencies.push(performance.now() - (sentAt.get(a.body) ?? Number.NaN));
    f.onDone = (a) => done.add(a);
  }
  const c0 = cpuNow();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  const submits: Promise<void>[] = [];
  for (let i = 0; i < jobs; i++) {
    // Paced against the clock, not by sleeps that add up: job i leaves at t0 + i / rate.
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = JSON.stringify({ seq: i });
    sentAt.set(body, performance.now());
    submits.push(submit(base, [body]));
  }
  await Promise.all(submits);
  await done.all;
  const cpuUsPerJob = perJob(c0, jobs);
  for (const f of factories) f.close();
  const sorted = latencies.sort((a, b) => a - b);
  log(`W2 done: ${jobs} jobs`);
  return {
    jobs,
    duplicates: done.duplicates,
    rate,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuUsPerJob,
    clientUsPerJob: clientPerJob(u0, jobs),
  };
}
