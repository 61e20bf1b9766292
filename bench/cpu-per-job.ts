/**
 * The coordinator's CPU per job, as far as the local runtime lets us separate it: workerd's CPU time (every
 * thread, read from /proc) over a stretch of work, divided by the jobs that stretch completed.
 *
 * What it includes: locally one workerd process runs the coordinator, every job's feed object, the queue
 * consumers (dispatch and history) and the D1 and Durable Object storage behind them, so the figure is an
 * upper bound on the coordinator's own cost. The stretch runs from the first submit until workerd is quiet
 * again after the last completion (below QUIET_PCT of one core for a second, at most TAIL_MAX_MS), so the
 * background work the jobs caused — feed appends, history rows — is counted too. Quiet is looked for only after
 * LOAD_SETTLE_MS: while the coordinator still counts as loaded (core/feed-budget BUSY_HOLD_MS after the last
 * sign) it holds D1 history back (core/history-hold), and the runtime is quiet then only because that work waits.
 *
 * The ceiling: one Durable Object runs on one thread, so 1e6 / (µs per job) jobs/s is the rate at which the
 * thread would be busy all the time. It is an upper bound on what one product's coordinator could carry at
 * that cost per job (no thread is 100 % busy and storage waits are not counted), while the µs include work
 * that runs elsewhere in production, which pushes the other way: read it as an order of magnitude.
 */
import type { Target } from "./fleet.ts";
import { sleep } from "./http.ts";

/** Below this share of one core for one second, the runtime's background work counts as done. */
const QUIET_PCT = 15;
/** Longest wait for that after the last completion; the figure says when it was cut short. */
const TAIL_MAX_MS = 30_000;
/**
 * The load's end after the last completion (core/feed-budget BUSY_HOLD_MS, 2 s: not imported, the bench runs
 * under Node's type stripping, which that module's syntax does not pass), and the shipper's wake after it (≥ 1 s):
 * held history then ships. test/unit/history-hold pins it to BUSY_HOLD_MS.
 */
export const LOAD_SETTLE_MS = 2_000 + 1_500;

export interface CpuPerJob {
  /** workerd CPU (ms) from the first submit to the last completion. */
  runMs: number;
  /** workerd CPU (ms) after the last completion until quiet: background work the jobs caused. */
  tailMs: number;
  /** False when the tail wait hit TAIL_MAX_MS (the figure then undercounts). */
  tailSettled: boolean;
  /** (runMs + tailMs) × 1000 ÷ completed jobs. */
  usPerJob: number | null;
  /** 1e6 ÷ usPerJob: jobs/s at which one thread would be busy all the time (an upper bound). */
  ceilingJobsPerSec: number | null;
}

/**
 * Waits until workerd uses less than QUIET_PCT of one core over a second, at most `maxMs`. Returns the workerd
 * CPU reading at the end, and whether it went quiet; null without /proc.
 */
export async function waitQuiet(t: Target, maxMs: number): Promise<{ cpuMs: number; quiet: boolean } | null> {
  let last = t.workerdCpuMs?.() ?? null;
  if (last === null) return null;
  const end = performance.now() + maxMs;
  while (performance.now() < end && t.alive()) {
    const a = performance.now();
    await sleep(1000);
    const now = t.workerdCpuMs?.() ?? null;
    if (now === null) return null;
    const pct = ((now - last) / (performance.now() - a)) * 100;
    last = now;
    if (pct < QUIET_PCT) return { cpuMs: now, quiet: true };
  }
  return { cpuMs: last, quiet: false };
}

/**
 * Waits out the coordinator's load (LOAD_SETTLE_MS: held history then ships), then for quiet as `waitQuiet`; at
 * most `maxMs` in all. Every "the runtime has settled" in the bench goes through here.
 */
export async function waitSettled(t: Target, maxMs: number): Promise<{ cpuMs: number; quiet: boolean } | null> {
  await sleep(Math.min(LOAD_SETTLE_MS, maxMs));
  return waitQuiet(t, Math.max(0, maxMs - LOAD_SETTLE_MS));
}

/** Starts counting now; `finish(completed)` waits for quiet and gives the figures (null without /proc). */
export function cpuPerJob(t: Target): { finish: (completed: number) => Promise<CpuPerJob | null> } {
  const c0 = t.workerdCpuMs?.() ?? null;
  return {
    async finish(completed) {
      const c1 = t.workerdCpuMs?.() ?? null;
      const tail = await waitSettled(t, TAIL_MAX_MS);
      if (c0 === null || c1 === null || tail === null) return null;
      const runMs = Math.round(c1 - c0);
      const tailMs = Math.round(tail.cpuMs - c1);
      const usPerJob = completed > 0 ? Math.round(((runMs + tailMs) * 1000) / completed) : null;
      return {
        runMs,
        tailMs,
        tailSettled: tail.quiet,
        usPerJob,
        ceilingJobsPerSec: usPerJob ? Math.round(1e6 / usPerJob) : null,
      };
    },
  };
}
