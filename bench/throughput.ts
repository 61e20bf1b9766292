/**
 * Scenario 2 — throughput: many no-op jobs bulk-submitted through the
 * dispatch queue and finished at once by a small fleet; jobs/s from the first
 * submit sent to the last completion acknowledged, plus the exactly-once
 * check: no job pushed or completed twice, none lost.
 *
 * Submission is windowed (see counts.ts): the next batch goes once fewer
 * than `window` jobs are outstanding, so the figure is the sustained rate.
 *
 * The factories complete each assignment themselves (rather than WsFactory's
 * autoComplete) only so that a second `complete` ack for the same job would be
 * counted: WsFactory keeps completions in a Set.
 *
 * CPU per job: workerd's CPU time (all its threads, from /proc) from the first
 * submit until the runtime is quiet again after the last completion — so the
 * background work those jobs caused (job feeds, the history consumer, D1, which
 * all run in that one process locally) is counted — divided by jobs completed.
 * The growth scenario (growth.ts) runs the same loop on its own product.
 */
import type { Counts } from "./counts.ts";
import { type CpuPerJob, cpuPerJob } from "./cpu-per-job.ts";
import { closeAll, pool, startFactory, type Target, type WsFactory } from "./fleet.ts";
import { api, productPath, sleep } from "./http.ts";

const PRODUCT = "bench-throughput";
/** Tries per batch; retries are harmless because every job has an idempotency key. */
const BATCH_ATTEMPTS = 3;
/** A batch answer can take a minute when the local queues are backed up; slow is a figure, not a failure. */
const BATCH_TIMEOUT_MS = 180_000;

export interface ThroughputResult {
  submitted: number;
  accepted: number;
  completed: number;
  /** Jobs pushed more than once, or completed more than once. */
  duplicates: number;
  /** Submitted jobs not completed when the wait ended. */
  missing: number;
  /** First submit sent → last completion acked. */
  seconds: number;
  jobsPerSec: number;
  /** First submit sent → last batch answered (0 if not all were sent). */
  submitSeconds: number;
  /** Why waiting stopped: all done, the deadline, no progress for `stallMs`, or the runtime died. */
  ended: "complete" | "deadline" | "stalled" | "server died";
  firstError?: string;
  /** workerd CPU per completed job and the one-thread ceiling it implies; null off Linux. */
  cpu: CpuPerJob | null;
}

/** What differs when another scenario runs this loop: its product, title prefix, and what the jobs require. */
export interface BulkOptions {
  product: string;
  label: string;
  requires?: string[];
}

export async function throughput(
  t: Target,
  c: Counts["throughput"],
  log: (s: string) => void,
): Promise<ThroughputResult> {
  const names = Array.from({ length: c.factories }, (_, i) => `tp-${i}`);
  const { results: factories, errors } = await pool(names, 8, (name) =>
    // `batch`: a factory's completes of one macrotask go as one `batch` frame (protocol feature, issue 12 item 2).
    // GF_BENCH_FRAMES=3: accept → progress building → complete per job, as the shared peers harness sends them.
    startFactory(t, PRODUCT, name, {
      seats: c.seats,
      autoComplete: false,
      batch: process.env.GF_BENCH_BATCH === "1",
      threeStep: process.env.GF_BENCH_FRAMES === "3",
    }),
  );
  try {
    if (errors.length) throw new Error(`factories did not connect: ${errors[0]}`);
    return await bulkThroughput(t, c, factories, log, { product: PRODUCT, label: "tp" });
  } finally {
    closeAll(factories);
  }
}

/** `c.jobs` jobs bulk-submitted to `o.product` and completed by `factories` (already connected, not auto-completing). */
export async function bulkThroughput(
  t: Target,
  c: Counts["throughput"],
  factories: readonly WsFactory[],
  log: (s: string) => void,
  o: BulkOptions,
): Promise<ThroughputResult> {
  const pushes = new Map<string, number>();
  const acks = new Map<string, number>();
  const completedTitles = new Set<string>();
  let lastAckAt = 0;
  for (const f of factories) {
    f.onAssign = (a) => {
      pushes.set(a.job.id, (pushes.get(a.job.id) ?? 0) + 1);
      void f.finish(a).then((ok) => {
        if (!ok) return;
        acks.set(a.job.id, (acks.get(a.job.id) ?? 0) + 1);
        completedTitles.add(a.job.title);
        lastAckAt = performance.now();
      });
    };
  }

  const titles: string[] = [];
  let accepted = 0;
  /** Jobs in batches whose answer timed out: the server may still have taken them, so they are waited for. */
  let uncertain = 0;
  let firstError: string | undefined;
  const submitBatch = async (from: number) => {
    // Each job carries its own idempotency key, so a batch whose answer was lost
    // (a 5xx or a timeout from an overloaded local runtime) is safely sent again.
    const items: Array<{ manifest: { title: string; idempotencyKey: string; requires?: string[] } }> = [];
    for (let i = from; i < Math.min(c.jobs, from + c.batchSize); i++) {
      const title = `${o.label}-${i}`;
      titles.push(title);
      items.push({ manifest: { title, idempotencyKey: title, ...(o.requires ? { requires: o.requires } : {}) } });
    }
    for (let attempt = 1; attempt <= BATCH_ATTEMPTS; attempt++) {
      try {
        const r = await api<{ accepted?: number }>(
          t.base,
          "POST",
          `${productPath(o.product)}/jobs:batch`,
          t.admin,
          { items },
          BATCH_TIMEOUT_MS,
        );
        if (r.status === 202) {
          accepted += r.body.accepted ?? 0;
          return;
        }
        firstError ??= `batch at ${from}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
        if (r.status < 500) return;
      } catch (err) {
        firstError ??= `batch at ${from}: ${(err as Error).message}`;
        if (attempt === BATCH_ATTEMPTS && (err as Error).name === "TimeoutError") uncertain += items.length;
      }
      await sleep(1000 * attempt);
    }
  };

  // One loop submits (while the window has room) and watches completions.
  const cpu = cpuPerJob(t);
  const t0 = performance.now();
  const deadline = t0 + c.deadlineMs;
  let next = 0;
  let submitSeconds = 0;
  let ended: ThroughputResult["ended"] = "complete";
  let lastCount = -1;
  let lastChange = t0;
  let lastLog = t0;
  for (;;) {
    const now = performance.now();
    const done = completedTitles.size;
    if (next >= c.jobs && done >= accepted + uncertain) break;
    if (!t.alive()) {
      ended = "server died";
      break;
    }
    if (now >= deadline) {
      ended = "deadline";
      break;
    }
    if (done !== lastCount) {
      lastCount = done;
      lastChange = now;
    } else if (now - lastChange > c.stallMs) {
      ended = "stalled";
      break;
    }
    if (now - lastLog > 10_000) {
      lastLog = now;
      log(
        `${done}/${c.jobs} completed, ${accepted} accepted (${(done / ((now - t0) / 1000)).toFixed(0)} jobs/s so far)`,
      );
    }
    if (next < c.jobs && accepted + uncertain - done + c.batchSize <= c.window) {
      await submitBatch(next);
      next += c.batchSize;
      if (next >= c.jobs) submitSeconds = (performance.now() - t0) / 1000;
      continue;
    }
    await sleep(50);
  }
  for (const f of factories) f.onAssign = undefined;
  const cpuFigures = await cpu.finish(completedTitles.size);

  const dup = new Set<string>();
  for (const [id, n] of pushes) if (n > 1) dup.add(id);
  for (const [id, n] of acks) if (n > 1) dup.add(id);
  const missing = titles.filter((x) => !completedTitles.has(x)).length;
  const seconds = lastAckAt > 0 ? (lastAckAt - t0) / 1000 : 0;
  return {
    submitted: titles.length,
    accepted,
    completed: completedTitles.size,
    duplicates: dup.size,
    missing,
    seconds: Math.round(seconds * 100) / 100,
    jobsPerSec: seconds > 0 ? Math.round(completedTitles.size / seconds) : 0,
    submitSeconds: Math.round(submitSeconds * 100) / 100,
    ended,
    ...(firstError ? { firstError } : {}),
    cpu: cpuFigures,
  };
}
