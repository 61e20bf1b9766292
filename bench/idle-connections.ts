/**
 * Scenario 5 — idle connections: many factories enrolled and connected at
 * once, none able to run the jobs (the jobs require `bench:worker`, the idle
 * factories advertise nothing); how long it takes to attach them all, and what
 * dispatch latency a few real workers see while they stay attached — every
 * dispatch pass considers every connected factory.
 */
import type { Counts } from "./counts.ts";
import { before, closeAll, connect, enroll, pool, startFactory, type Target, type WsFactory } from "./fleet.ts";
import { type PacedResult, pacedDispatch } from "./paced-dispatch.ts";

const PRODUCT = "bench-idle";
const CAPABILITY = "bench:worker";

export interface IdleResult {
  count: number;
  enrolled: number;
  connected: number;
  /** Enrollment of all of them (HTTP, `concurrency` at a time). */
  enrollMs: number;
  /** First connect started → last welcome received. */
  connectMs: number;
  connectErrors: number;
  firstError?: string;
  dispatch: PacedResult | null;
}

export async function idleConnections(t: Target, c: Counts["idle"], log: (s: string) => void): Promise<IdleResult> {
  const idle: WsFactory[] = [];
  const workers: WsFactory[] = [];
  try {
    const deadline = performance.now() + c.connectDeadlineMs;
    const names = Array.from({ length: c.connections }, (_, i) => `idle-${i}`);
    const e0 = performance.now();
    const enrolled = await pool(
      names,
      c.concurrency,
      (name) => enroll(t, PRODUCT, name, 1),
      () => before(t, deadline),
    );
    const enrollMs = Math.round(performance.now() - e0);
    log(`${enrolled.results.length} idle factories enrolled in ${enrollMs} ms; connecting`);

    const c0 = performance.now();
    let lastWelcome = c0;
    let lastLog = c0;
    const connected = await pool(
      enrolled.results,
      c.concurrency,
      async (token) => {
        const f = await connect(t, PRODUCT, token, { capabilities: [], seats: 1, autoComplete: false });
        idle.push(f);
        lastWelcome = performance.now();
        if (lastWelcome - lastLog > 10_000) {
          lastLog = lastWelcome;
          log(`${idle.length} connected`);
        }
        return f;
      },
      () => before(t, deadline),
    );
    const connectMs = Math.round(lastWelcome - c0);
    const errors = [...enrolled.errors, ...connected.errors];
    log(
      `${idle.length} idle factories connected in ${connectMs} ms (${errors.length} errors${errors.length ? `; first: ${errors[0]}` : ""})`,
    );

    let dispatch: PacedResult | null = null;
    const w = await pool(
      Array.from({ length: c.workers }, (_, i) => `worker-${i}`),
      8,
      (name) => startFactory(t, PRODUCT, name, { seats: c.seats, capabilities: [CAPABILITY], autoComplete: true }),
    );
    workers.push(...w.results);
    if (w.errors.length) log(`workers did not connect: ${w.errors[0]}`);
    else {
      log(`${workers.length} workers connected beside them; submitting ${c.rate * c.seconds} jobs at ${c.rate}/s`);
      dispatch = await pacedDispatch(t, PRODUCT, workers, {
        rate: c.rate,
        seconds: c.seconds,
        drainMs: c.drainMs,
        label: "idle",
        requires: [CAPABILITY],
      });
    }
    return {
      count: c.connections,
      enrolled: enrolled.results.length,
      connected: idle.length,
      enrollMs,
      connectMs,
      connectErrors: errors.length,
      ...(errors[0] ? { firstError: errors[0] } : {}),
      dispatch,
    };
  } finally {
    closeAll(workers);
    closeAll(idle);
  }
}
