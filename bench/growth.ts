/**
 * Scenario 7 — growth: does dispatch cost grow with the queue or the fleet? One cell per (queue depth, fleet
 * size), each on a fresh local system (the suite starts one per cell):
 *
 * 1. Pre-fill the queue to `depth` with jobs no factory can run (growth-fill.ts) — the case of a deep
 *    queue "most of which no connected factory can run" — before any factory connects, so the fill time is the
 *    coordinator's intake; then wait (bounded) for the runtime to finish the background work the fill caused.
 * 2. Connect the fleet: `fleet − workers` idle factories advertising nothing, and `workers` that advertise and
 *    are enrolled with `bench:worker`.
 * 3. Measure (a) dispatch latency of paced single submits of runnable jobs (paced-dispatch.ts) at a modest rate,
 *    and (b) throughput and workerd CPU per job of bulk-submitted runnable jobs (throughput.ts's loop).
 *
 * The cells are the depths at the smallest fleet, then the fleets at the smallest depth (the smallest of both
 * is one cell, the baseline every ratio is taken against).
 */

import type { GrowthCounts } from "./counts.ts";
import { waitSettled } from "./cpu-per-job.ts";
import { before, closeAll, connect, enroll, pool, startFactory, type Target, type WsFactory } from "./fleet.ts";
import { type FillResult, fillQueue, queuedCount } from "./growth-fill.ts";
import { type PacedResult, pacedDispatch } from "./paced-dispatch.ts";
import { bulkThroughput, type ThroughputResult } from "./throughput.ts";

export const GROWTH_PRODUCT = "bench-growth";
const CAPABILITY = "bench:worker";
/** Longest wait after the fill for the runtime to go quiet (feed and history work the fill left behind). */
const QUIET_AFTER_FILL_MS = 60_000;
const CONNECT_DEADLINE_MS = 240_000;

export interface GrowthCell {
  depth: number;
  fleet: number;
  fill: FillResult;
  /** Fill done → runtime quiet (or the bound); `quietAfterFill` false when the bound cut it short. */
  quietAfterFillMs: number;
  quietAfterFill: boolean;
  /** Unrunnable jobs queued when the measurement started (the coordinator's count). */
  queuedAtMeasure: number | null;
  /** Factories connected (idle + working) and how long connecting the idle ones took. */
  connected: number;
  connectMs: number;
  connectErrors: number;
  firstError?: string;
  dispatch: PacedResult | null;
  throughput: ThroughputResult | null;
  /** Why the bulk run was left out (the paced run dispatched nothing: it would only wait for its stall limit). */
  throughputSkipped?: string;
}

/** The (depth, fleet) cells: every depth at the smallest fleet, then every larger fleet at the smallest depth. */
export function growthCells(g: GrowthCounts): Array<{ depth: number; fleet: number }> {
  const d0 = Math.min(...g.depths);
  const f0 = Math.min(...g.fleets);
  return [
    ...[...g.depths].sort((a, b) => a - b).map((depth) => ({ depth, fleet: f0 })),
    ...[...g.fleets]
      .sort((a, b) => a - b)
      .filter((f) => f !== f0)
      .map((fleet) => ({ depth: d0, fleet })),
  ];
}

export async function growthCell(
  t: Target,
  g: GrowthCounts,
  cell: { depth: number; fleet: number },
  log: (s: string) => void,
): Promise<GrowthCell> {
  const fill = await fillQueue(t, GROWTH_PRODUCT, cell.depth, g, log);
  const q0 = performance.now();
  const quiet = await waitSettled(t, QUIET_AFTER_FILL_MS);
  const quietAfterFillMs = Math.round(performance.now() - q0);
  log(`fill: ${fill.queued} queued in ${fill.fillMs} ms; runtime quiet ${quietAfterFillMs} ms later`);

  const idle: WsFactory[] = [];
  const workers: WsFactory[] = [];
  try {
    const deadline = performance.now() + CONNECT_DEADLINE_MS;
    const names = Array.from({ length: Math.max(0, cell.fleet - g.workers) }, (_, i) => `gidle-${i}`);
    const c0 = performance.now();
    const attached = await pool(
      names,
      g.connectConcurrency,
      async (name) => {
        const token = await enroll(t, GROWTH_PRODUCT, name, 1);
        idle.push(await connect(t, GROWTH_PRODUCT, token, { capabilities: [], seats: 1, autoComplete: false }));
      },
      () => before(t, deadline),
    );
    const connectMs = Math.round(performance.now() - c0);
    const w = await pool(
      Array.from({ length: g.workers }, (_, i) => `gworker-${i}`),
      8,
      (name) =>
        startFactory(t, GROWTH_PRODUCT, name, { seats: g.seats, capabilities: [CAPABILITY], autoComplete: false }),
    );
    workers.push(...w.results);
    const errors = [...attached.errors, ...w.errors];
    log(`${idle.length} idle + ${workers.length} working factories connected (idle ones in ${connectMs} ms)`);
    const queuedAtMeasure = await queuedCount(t, GROWTH_PRODUCT);
    let dispatch: PacedResult | null = null;
    let throughput: ThroughputResult | null = null;
    let throughputSkipped: string | undefined;
    if (workers.length === g.workers) {
      log(`paced: ${g.rate * g.seconds} jobs at ${g.rate}/s with ${queuedAtMeasure} unrunnable queued`);
      dispatch = await pacedDispatch(t, GROWTH_PRODUCT, workers, {
        rate: g.rate,
        seconds: g.seconds,
        drainMs: g.drainMs,
        label: "gpaced",
        requires: [CAPABILITY],
        finish: true,
      });
      if (dispatch.assigned === 0) {
        throughputSkipped = `the paced run dispatched none of its ${dispatch.submitted} jobs`;
        log(`bulk skipped: ${throughputSkipped}`);
      } else {
        log(`bulk: ${g.throughputJobs} jobs`);
        throughput = await bulkThroughput(
          t,
          {
            jobs: g.throughputJobs,
            batchSize: 250,
            window: 1_000,
            factories: g.workers,
            seats: g.seats,
            deadlineMs: 300_000,
            stallMs: 30_000,
          },
          workers,
          log,
          { product: GROWTH_PRODUCT, label: "gbulk", requires: [CAPABILITY] },
        );
      }
    }
    return {
      ...cell,
      fill,
      quietAfterFillMs,
      quietAfterFill: quiet?.quiet ?? false,
      queuedAtMeasure,
      connected: idle.length + workers.length,
      connectMs,
      connectErrors: errors.length,
      ...(errors[0] ? { firstError: errors[0] } : {}),
      dispatch,
      throughput,
      ...(throughputSkipped ? { throughputSkipped } : {}),
    };
  } finally {
    closeAll(workers);
    closeAll(idle);
  }
}
