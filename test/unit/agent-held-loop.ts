/**
 * @module test/unit/agent-held-loop
 * What the held-loop tests of the agent's socket run against: a coordinator (a real `ws` server, the package the agent
 * speaks to) in a worker thread, so it answers while the test holds the agent's event loop with a synchronous wait,
 * and that hold. The worker counts, in memory both threads share, each `hello` and request it read and each `welcome`
 * and `ack` it wrote (counted once written to the socket), so a test holds the loop until an answer is waiting in the
 * agent's socket and its bound is past — the order is forced, not hoped for.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { HelloInfo } from "../../src/agent/connection.ts";

/** The shared counters' slots. */
export const COUNT = { hellos: 0, welcomes: 1, requests: 2, acks: 3 } as const;

/** What the worker's coordinator does. */
export interface CoordinatorPlan {
  /** Answer `hello` with `welcome` (default true); false: a coordinator that upgrades and then says nothing. */
  welcome?: boolean;
  /** Answer every request (a frame with an `id`) with `ack` (default true); false: a silent peer. */
  answer?: boolean;
  /** The TTL (s) a `renew`'s ack grants (default 60). */
  renewTtlSeconds?: number;
}

export interface HeldLoopCoordinator {
  /** `http://127.0.0.1:PORT`: the agent's `--url`. */
  url: string;
  /** How many of `COUNT`'s kind the coordinator has read or written so far. */
  count(slot: number): number;
  /** Stop the worker (and its server). */
  close(): Promise<void>;
}

/** A valid `hello`'s content. */
export const HELLO: HelloInfo = { seats: 1, capabilities: [], engines: [], agentVersion: "test" } as never;

// Plain CommonJS, evaluated by the worker: no TypeScript loader there. `ws` is required by its resolved path.
const SERVER = `
const { parentPort, workerData } = require("node:worker_threads");
const { WebSocketServer } = require(workerData.wsPath);
const { counts, welcome, answer, renewTtlSeconds } = workerData;
const bump = (slot) => { Atomics.add(counts, slot, 1); Atomics.notify(counts, slot); };
const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
server.on("listening", () => parentPort.postMessage(server.address().port));
server.on("connection", (ws) => {
  ws.on("message", (data) => {
    const f = JSON.parse(String(data));
    if (f.type === "hello") {
      bump(${COUNT.hellos});
      // 30 s between heartbeats: none is sent while a test runs.
      const w = { type: "welcome", v: 1, factoryId: "fac_held", productId: "p", queueVersion: 1,
        heartbeatIntervalMs: 30000, leases: [] };
      if (welcome) ws.send(JSON.stringify(w), () => bump(${COUNT.welcomes}));
      return;
    }
    if (f.id === undefined) return;
    bump(${COUNT.requests});
    if (!answer) return;
    const result = f.type === "renew" ? { ttlSeconds: renewTtlSeconds } : {};
    ws.send(JSON.stringify({ type: "ack", id: f.id, result }), () => bump(${COUNT.acks}));
  });
});
`;

/** Starts a coordinator in a worker thread that acts as `plan` says; resolves once it listens. */
export async function coordinatorInWorker(plan: CoordinatorPlan = {}): Promise<HeldLoopCoordinator> {
  const counts = new Int32Array(new SharedArrayBuffer(4 * Object.keys(COUNT).length));
  const wsPath = createRequire(import.meta.url).resolve("ws");
  const { welcome = true, answer = true, renewTtlSeconds = 60 } = plan;
  const worker = new Worker(SERVER, { eval: true, workerData: { counts, wsPath, welcome, answer, renewTtlSeconds } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    count: (slot) => Atomics.load(counts, slot),
    close: async () => void (await worker.terminate()),
  };
}

const cell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Holds this thread's event loop (synchronously: no timer, socket or immediate runs) until `ready()`, looking every
 * 5 ms; false when it never came within 30 s (the test then fails).
 */
export function holdUntil(ready: () => boolean): boolean {
  for (const end = Date.now() + 30_000; Date.now() < end; Atomics.wait(cell, 0, 0, 5)) if (ready()) return true;
  return false;
}
