/**
 * @module test/unit/agent-held-loop
 * What the held-loop tests of the agent's socket run against: a coordinator (a real `ws` server, the package the agent
 * speaks to) in a worker thread, so it answers while the test holds the agent's event loop with a synchronous wait,
 * and that hold. The worker counts, in memory both threads share, each upgrade, `hello` and request it read and each
 * 101, `welcome` and `ack` it wrote (counted once written to the socket), so a test holds the loop until an answer is
 * waiting in the agent's socket and its bound is past — the order is forced, not hoped for.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { HelloInfo } from "../../src/agent/connection.ts";

/**
 * The shared counters' slots: what the coordinator read or wrote, and (`holding`, set by the test) that the agent's
 * loop is held now.
 */
export const COUNT = { hellos: 0, welcomes: 1, requests: 2, acks: 3, upgrades: 4, upgraded: 5, holding: 6 } as const;

/** What the worker's coordinator does. */
export interface CoordinatorPlan {
  /** Answer `hello` with `welcome` (default true); false: a coordinator that upgrades and then says nothing. */
  welcome?: boolean;
  /** Answer every request (a frame with an `id`) with `ack` (default true); false: a silent peer. */
  answer?: boolean;
  /** The TTL (s) a `renew`'s ack grants (default 60). */
  renewTtlSeconds?: number;
  /**
   * When to answer an upgrade request: at once (default), once the test says it holds the loop (`whenHeld`: the answer
   * then arrives while the agent cannot read it), or never (a peer that accepted the connection and went silent).
   */
  upgrade?: "atOnce" | "whenHeld" | "never";
}

export interface HeldLoopCoordinator {
  /** `http://127.0.0.1:PORT`: the agent's `--url`. */
  url: string;
  /** How many of `COUNT`'s kind the coordinator has read or written so far. */
  count(slot: number): number;
  /** Tell the coordinator the agent's loop is held now (an upgrade `whenHeld` is answered then). */
  holding(): void;
  /** Stop the worker (and its server). */
  close(): Promise<void>;
}

/** A valid `hello`'s content. */
export const HELLO: HelloInfo = { seats: 1, capabilities: [], engines: [], agentVersion: "test" } as never;

// Plain CommonJS, evaluated by the worker: no TypeScript loader there. `ws` is required by its resolved path.
const SERVER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { WebSocketServer } = require(workerData.wsPath);
const { counts, welcome, answer, renewTtlSeconds, upgrade } = workerData;
const bump = (slot) => { Atomics.add(counts, slot, 1); Atomics.notify(counts, slot); };
const server = http.createServer();
const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", (req, socket, head) => {
  bump(${COUNT.upgrades});
  if (upgrade === "never") return;
  // Counted once the 101 has left for the agent's socket.
  const flushed = () => (socket.writableLength === 0 ? bump(${COUNT.upgraded}) : setImmediate(flushed));
  const accept = () => wss.handleUpgrade(req, socket, head, (ws) => { flushed(); wss.emit("connection", ws); });
  const whenHeld = () => (Atomics.load(counts, ${COUNT.holding}) > 0 ? accept() : setTimeout(whenHeld, 5));
  if (upgrade === "whenHeld") whenHeld(); else accept();
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
wss.on("connection", (ws) => {
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
  const { welcome = true, answer = true, renewTtlSeconds = 60, upgrade = "atOnce" } = plan;
  const workerData = { counts, wsPath, welcome, answer, renewTtlSeconds, upgrade };
  const worker = new Worker(SERVER, { eval: true, workerData });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    count: (slot) => Atomics.load(counts, slot),
    holding: () => void Atomics.store(counts, COUNT.holding, 1),
    close: async () => void (await worker.terminate()),
  };
}

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Resolves once `ready()`, looking every 5 ms (the loop runs meanwhile); rejects when it never came within 30 s. */
export async function until(what: string, ready: () => boolean): Promise<void> {
  for (const end = Date.now() + 30_000; !ready(); await new Promise((r) => setTimeout(r, 5)))
    if (Date.now() > end) throw new Error(`never: ${what}`);
}

/**
 * Holds this thread's event loop (synchronously: no timer, socket or immediate runs) until `ready()`, looking every
 * 5 ms; false when it never came within 30 s (the test then fails).
 */
export function holdUntil(ready: () => boolean): boolean {
  for (const end = Date.now() + 30_000; Date.now() < end; Atomics.wait(cell, 0, 0, 5)) if (ready()) return true;
  return false;
}
