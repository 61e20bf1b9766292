/**
 * @module test/unit/http-held-loop
 * What the held-loop tests of the REST client run against: a plain HTTP server in a worker thread, so it answers while
 * the test holds the client's event loop with a synchronous wait (test/unit/agent-held-loop `holdUntil`). The worker
 * counts, in memory both threads share, each request it read and each answer's head and body it wrote (counted once
 * handed to the socket), so a test holds the loop until an answer is waiting in the client's socket and the bound is
 * past — the order is forced, not hoped for.
 */
import { Worker } from "node:worker_threads";
import { holdUntil } from "./agent-held-loop.ts";

/** The shared counters' slots: what the server read or wrote, and (`holding`, set by the test) that the loop is held. */
export const HTTP_COUNT = { requests: 0, heads: 1, bodies: 2, holding: 3 } as const;

/** What the worker's server does with each request. */
export interface ServerPlan {
  /** The answer's status (default 200) and JSON body (default `{"ok":true}`). */
  status?: number;
  body?: string;
  /**
   * When the head goes: at once, once the test says it holds the loop (`whenHeld`, the default: it then arrives while
   * the client cannot read it), or never (a server that took the request and went silent).
   */
  head?: "atOnce" | "whenHeld" | "never";
  /** The answer's content type (default `application/json`). */
  contentType?: string;
  /** When the body goes after the head: with it (default), once the test holds the loop, or never (a stalled body). */
  bodyAt?: "withHead" | "whenHeld" | "never";
}

export interface HeldLoopServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** How many of `HTTP_COUNT`'s kind the server has read or written so far. */
  count(slot: number): number;
  /** Tell the server the client's loop is held now (what waits `whenHeld` is sent then). */
  holding(): void;
  /** Stop the worker (and its server). */
  close(): Promise<void>;
}

// Plain CommonJS, evaluated by the worker: no TypeScript loader there.
const SERVER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { counts, status, body, head, bodyWhen, contentType } = workerData;
const bump = (slot) => { Atomics.add(counts, slot, 1); Atomics.notify(counts, slot); };
const whenHeld = (fn) => (Atomics.load(counts, ${HTTP_COUNT.holding}) > 0 ? fn() : setTimeout(() => whenHeld(fn), 5));
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    bump(${HTTP_COUNT.requests});
    const sendBody = () => res.end(body, () => bump(${HTTP_COUNT.bodies}));
    const sendHead = () => {
      res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
      if (bodyWhen === "withHead") return sendBody();
      // The head alone, flushed now; counted once it has left for the client's socket.
      res.flushHeaders();
      const flushed = () => (res.socket.writableLength === 0 ? bump(${HTTP_COUNT.heads}) : setImmediate(flushed));
      flushed();
      if (bodyWhen === "whenHeld") whenHeld(sendBody);
    };
    if (head === "never") return;
    if (head === "whenHeld") whenHeld(sendHead); else sendHead();
  });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

/** Starts a server in a worker thread that answers as `plan` says; resolves once it listens. */
export async function serverInWorker(plan: ServerPlan = {}): Promise<HeldLoopServer> {
  const counts = new Int32Array(new SharedArrayBuffer(4 * Object.keys(HTTP_COUNT).length));
  const { status = 200, body = '{"ok":true}', head = "whenHeld", bodyAt: bodyWhen = "withHead" } = plan;
  const contentType = plan.contentType ?? "application/json";
  const workerData = { counts, status, body, head, bodyWhen, contentType };
  const worker = new Worker(SERVER, { eval: true, workerData });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    count: (slot) => Atomics.load(counts, slot),
    holding: () => void Atomics.store(counts, HTTP_COUNT.holding, 1),
    close: async () => void (await worker.terminate()),
  };
}

/**
 * Holds the loop, from the check phase (after this turn's poll, so the next turn starts with the timers), until `slot`
 * has been written once and `boundMs`, counted from `since` (ms since the epoch), is twice past; false when that never
 * came (the test then fails). Held from a timer's callback instead, that turn's poll would read the answer before the
 * next turn's timers ran, and the order would not be forced.
 */
export function holdPastBound(co: HeldLoopServer, slot: number, since: number, boundMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) =>
    setImmediate(() => {
      co.holding();
      resolve(holdUntil(() => co.count(slot) === 1 && Date.now() - since >= 2 * boundMs));
    }),
  );
}
