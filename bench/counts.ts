/**
 * How much work each scenario does, and how long it may take: the default run
 * (the figures in README.md) and `--quick`, a smoke run of the same code paths
 * in about a minute. Every wait is bounded, so a slow or stuck server yields
 * partial figures instead of a hung benchmark.
 */

export interface Counts {
  name: "full" | "quick";
  /** Scenario 1: paced single submits to idle, connected factories. */
  latency: { factories: number; seats: number; rate: number; seconds: number; drainMs: number };
  /**
   * Scenario 2: bulk-submitted no-op jobs, end to end. Batches of 500: a
   * jobs:batch of more than ~1,000 small manifests currently fails with HTTP
   * 500 (its one queue sendBatch exceeds the local 288 KB per-batch limit).
   * `window` caps jobs submitted but not yet completed: the next batch goes
   * once there is room, so the figure is the sustained rate of a system that
   * is never starved of work, not the time to drain one enormous backlog.
   */
  throughput: {
    jobs: number;
    batchSize: number;
    window: number;
    factories: number;
    seats: number;
    deadlineMs: number;
    stallMs: number;
  };
  /** Scenario 3: a killed factory's job re-pushed after its lease expires. */
  recovery: { ttlSeconds: number; deadlineMs: number };
  /** Scenario 4: one job's feed watched by many sockets. */
  fanout: { watchers: number; events: number; intervalMs: number; deadlineMs: number };
  /** Scenario 5: many idle connections attached, then scenario 1 again with workers. */
  idle: {
    connections: number;
    concurrency: number;
    connectDeadlineMs: number;
    workers: number;
    seats: number;
    rate: number;
    seconds: number;
    drainMs: number;
  };
  /** Scenario 7: how cost grows with queue depth and fleet size (growth.ts); every cell on a fresh system. */
  growth: GrowthCounts;
  /** Longest wait for the runtime to go quiet between scenarios. */
  settleMs: number;
}

export interface GrowthCounts {
  /** Queue depths to pre-fill with jobs no factory can run, each with `baseFleet` factories connected. */
  depths: number[];
  /** Fleet sizes (connected factories: `workers` working ones, the rest idle) at the smallest depth. */
  fleets: number[];
  /** Factories that run the jobs (each `seats` seats); part of every fleet size. */
  workers: number;
  seats: number;
  /** Jobs per `jobs:batch` while filling, and fill requests in flight at once. */
  fillBatch: number;
  fillConcurrency: number;
  /** A fill not done by then is cut short: the cell is measured at the depth reached, and marked. */
  fillCapMs: number;
  /** Paced single submits of runnable jobs: a modest rate the local runtime carries. */
  rate: number;
  seconds: number;
  drainMs: number;
  /** Runnable jobs bulk-submitted through the workers, as in scenario 2. */
  throughputJobs: number;
  /** Idle factories enrolled/connected this many at a time. */
  connectConcurrency: number;
}

export const FULL: Counts = {
  name: "full",
  latency: { factories: 8, seats: 4, rate: 200, seconds: 10, drainMs: 60_000 },
  throughput: {
    jobs: 20_000,
    // At most 1,000 jobs outstanding in batches of 250: enough that no seat waits for work.
    batchSize: 250,
    window: 1_000,
    factories: 8,
    seats: 4,
    deadlineMs: 600_000,
    stallMs: 120_000,
  },
  recovery: { ttlSeconds: 5, deadlineMs: 30_000 },
  fanout: { watchers: 100, events: 50, intervalMs: 20, deadlineMs: 60_000 },
  idle: {
    connections: 1000,
    concurrency: 16,
    connectDeadlineMs: 240_000,
    workers: 8,
    seats: 4,
    // With 1,000 sockets attached each submit costs ~4× more locally; 200/s overloads
    // the runtime (it died in every full run), so this scenario is paced at 50/s.
    rate: 50,
    seconds: 10,
    drainMs: 60_000,
  },
  growth: {
    depths: [100, 10_000, 100_000],
    fleets: [10, 1_000],
    workers: 8,
    seats: 4,
    fillBatch: 5_000,
    fillConcurrency: 2,
    // 100,000 at the ~270 jobs/s intake measured locally would take ~6 min: cut at 3 to keep the run near 15 min.
    fillCapMs: 180_000,
    rate: 20,
    seconds: 10,
    drainMs: 15_000,
    throughputJobs: 1_000,
    connectConcurrency: 16,
  },
  settleMs: 30_000,
};

export const QUICK: Counts = {
  name: "quick",
  latency: { factories: 8, seats: 4, rate: 200, seconds: 3, drainMs: 30_000 },
  throughput: {
    jobs: 2_000,
    batchSize: 500,
    window: 2_000,
    factories: 8,
    seats: 4,
    deadlineMs: 120_000,
    stallMs: 60_000,
  },
  recovery: { ttlSeconds: 5, deadlineMs: 30_000 },
  fanout: { watchers: 20, events: 20, intervalMs: 20, deadlineMs: 30_000 },
  idle: {
    connections: 100,
    concurrency: 16,
    connectDeadlineMs: 60_000,
    workers: 8,
    seats: 4,
    rate: 200,
    seconds: 2,
    drainMs: 30_000,
  },
  growth: {
    depths: [100, 2_000],
    fleets: [10, 100],
    workers: 8,
    seats: 4,
    fillBatch: 1_000,
    fillConcurrency: 2,
    fillCapMs: 60_000,
    rate: 20,
    seconds: 5,
    drainMs: 10_000,
    throughputJobs: 300,
    connectConcurrency: 16,
  },
  settleMs: 10_000,
};

export function describeCounts(c: Counts): string {
  const g = c.growth;
  return [
    `counts: ${c.name}`,
    `  1 dispatch latency: ${c.latency.factories} factories × ${c.latency.seats} seats, ${c.latency.rate} jobs/s × ${c.latency.seconds} s = ${c.latency.rate * c.latency.seconds} jobs`,
    `  2 throughput: ${c.throughput.jobs} jobs in batches of ${c.throughput.batchSize} (at most ${c.throughput.window} outstanding), ${c.throughput.factories} factories × ${c.throughput.seats} seats, deadline ${c.throughput.deadlineMs / 1000} s`,
    `  3 recovery: lease TTL ${c.recovery.ttlSeconds} s`,
    `  4 feed fan-out: ${c.fanout.watchers} watchers × ${c.fanout.events} log events`,
    `  5 idle connections: ${c.idle.connections} idle + ${c.idle.workers} workers × ${c.idle.seats} seats, ${c.idle.rate} jobs/s × ${c.idle.seconds} s = ${c.idle.rate * c.idle.seconds} jobs`,
    `  7 growth: queue depths ${g.depths.join(" / ")} and fleets ${g.fleets.join(" / ")} (${g.workers} working × ${g.seats} seats, the rest idle); per cell ${g.rate} jobs/s × ${g.seconds} s paced + ${g.throughputJobs} jobs bulk; fill cap ${g.fillCapMs / 1000} s`,
  ].join("\n");
}
