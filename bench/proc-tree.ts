/**
 * What the local runtime costs: it is a Node process (Miniflare) that starts
 * a workerd child, so memory and CPU are summed over it and every
 * descendant, found by walking the ppid links in /proc/*\/stat (Linux only;
 * elsewhere every figure here reads 0).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Kernel clock ticks per second for utime/stime; 100 on every Linux x64 we run on. */
const CLK_TCK = 100;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may itself contain spaces or ')': split after the last one.
    const close = s.lastIndexOf(")");
    const rest = s.slice(close + 2).split(" ");
    return {
      pid,
      comm: s.slice(s.indexOf("(") + 1, close),
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
    };
  } catch {
    return undefined; // exited between readdir and read
  }
}

/** The root and all its descendants, as they are right now. */
export function processTree(root: number): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const children = new Map<number, ProcStat[]>();
  let rootStat: ProcStat | undefined;
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    if (st.pid === root) rootStat = st;
    const list = children.get(st.ppid) ?? [];
    list.push(st);
    children.set(st.ppid, list);
  }
  if (!rootStat) return [];
  const out: ProcStat[] = [];
  const todo = [rootStat];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/**
 * CPU time (ms, user + system, all threads) used so far by the workerd processes under `root`; null when
 * /proc shows none. Resolution is one clock tick (10 ms).
 */
export function workerdCpuMs(root: number): number | null {
  const w = processTree(root).filter((p) => p.comm === "workerd");
  return w.length ? (w.reduce((n, p) => n + p.ticks, 0) * 1000) / CLK_TCK : null;
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface CpuShare {
  pid: number;
  comm: string;
  /** Percent of one core over the window (200 = both cores of a 2-core box). */
  pct: number;
}

export interface Window {
  /** Runtime restarts during the window (see TreeSampler.restarts). */
  restarts: number;
  peakRssMb: number;
  seconds: number;
  cpu: CpuShare[];
}

/**
 * Samples the tree every `intervalMs`: the peak RSS of the whole run, and
 * per-window peaks and CPU shares so each scenario can say where time went.
 */
export class TreeSampler {
  private rootPid: number;
  peakRssMb = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Open windows: their peak so far, and the last CPU ticks of every process seen in them. */
  private windows = new Set<{ peak: number; ticks: Map<number, { comm: string; ticks: number }> }>();
  /** Every workerd pid seen: a new one mid-scenario means the runtime was restarted. */
  private readonly workerdPids = new Set<number>();
  /** workerd pids that were not restarts: those of each runtime at its start. */
  private expectedWorkerd = 0;

  constructor(rootPid: number) {
    this.rootPid = rootPid;
  }

  start(intervalMs = 500): void {
    this.sample();
    this.expectedWorkerd = this.workerdPids.size;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Follow a new runtime (a fresh system per scenario); its own workerd is no restart. */
  follow(rootPid: number): void {
    const reloads = this.restarts;
    this.rootPid = rootPid;
    this.sample();
    this.expectedWorkerd = this.workerdPids.size - reloads;
  }

  /** One sample: sum of VmRSS over the tree, in MB. */
  sample(): number {
    const tree = processTree(this.rootPid);
    for (const p of tree) if (p.comm === "workerd") this.workerdPids.add(p.pid);
    const mb = tree.reduce((kb, p) => kb + rssKb(p.pid), 0) / 1024;
    this.peakRssMb = Math.max(this.peakRssMb, mb);
    for (const w of this.windows) {
      w.peak = Math.max(w.peak, mb);
      // Kept per pid, so a process that dies mid-window still shows what it used.
      for (const p of tree) w.ticks.set(p.pid, { comm: p.comm, ticks: p.ticks });
    }
    return mb;
  }

  /**
   * Times the runtime started a new workerd since start() (the local runtime
   * does not watch files, so this is a guard against surprises). Each restart drops in-flight requests and sockets, so figures measured
   * across one are not the system's.
   */
  get restarts(): number {
    return Math.max(0, this.workerdPids.size - this.expectedWorkerd);
  }

  /** Start a window now; call the returned function to close it and read its figures. */
  window(): () => Window {
    const before = new Map(processTree(this.rootPid).map((p) => [p.pid, p.ticks]));
    const w = { peak: 0, ticks: new Map<number, { comm: string; ticks: number }>() };
    this.windows.add(w);
    this.sample();
    const restarts0 = this.restarts;
    const t0 = performance.now();
    return () => {
      this.sample();
      this.windows.delete(w);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = [...w.ticks].map(([pid, p]) => ({
        pid,
        comm: p.comm,
        pct: Math.round(((p.ticks - (before.get(pid) ?? 0)) / CLK_TCK / Math.max(seconds, 0.001)) * 100),
      }));
      return { restarts: this.restarts - restarts0, peakRssMb: Math.round(w.peak), seconds, cpu };
    };
  }

  /** CPU of the whole tree, percent of one core, over the next `ms`. */
  async busyPct(ms: number): Promise<number> {
    const ticks = () => processTree(this.rootPid).reduce((n, p) => n + p.ticks, 0);
    const a = ticks();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    return ((ticks() - a) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
  }

  /**
   * Wait until the runtime is quiet (background outbox delivery, history
   * writes and queue batches of the previous scenario done), so scenarios do
   * not measure each other. Gives up after `maxMs`; returns the time waited.
   */
  async settle(maxMs: number, quietPct = 15): Promise<number> {
    const t0 = performance.now();
    while (performance.now() - t0 < maxMs) {
      if ((await this.busyPct(1000)) < quietPct) break;
    }
    return Math.round(performance.now() - t0);
  }
}
