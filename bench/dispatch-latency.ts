/**
 * Scenario 1 — dispatch latency: idle connected factories (no-op jobs,
 * completed at once), single submits at a steady rate; how long from the
 * submit request leaving this process to the assign frame arriving.
 */
import type { Counts } from "./counts.ts";
import { closeAll, pool, startFactory, type Target, type WsFactory } from "./fleet.ts";
import { type PacedResult, pacedDispatch } from "./paced-dispatch.ts";

const PRODUCT = "bench-latency";

export async function dispatchLatency(t: Target, c: Counts["latency"], log: (s: string) => void): Promise<PacedResult> {
  const names = Array.from({ length: c.factories }, (_, i) => `lat-${i}`);
  const { results: factories, errors } = await pool(names, 8, (name) =>
    // GF_BENCH_FRAMES=3: each job accepted, started and completed in three frames, as the peers harness does.
    startFactory(t, PRODUCT, name, {
      seats: c.seats,
      autoComplete: true,
      threeStep: process.env.GF_BENCH_FRAMES === "3",
    }),
  );
  try {
    if (errors.length) throw new Error(`factories did not connect: ${errors[0]}`);
    log(`${factories.length} factories connected; submitting ${c.rate * c.seconds} jobs at ${c.rate}/s`);
    return await pacedDispatch(t, PRODUCT, factories as WsFactory[], {
      rate: c.rate,
      seconds: c.seconds,
      drainMs: c.drainMs,
      label: "lat",
    });
  } finally {
    closeAll(factories);
  }
}
