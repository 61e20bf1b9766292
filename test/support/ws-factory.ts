/**
 * A minimal factory speaking protocol v1 over a real `ws` socket — for the
 * end-to-end tests and the benchmark (the real agent lives in src/agent). It
 * can finish every assignment at once ("no-op jobs"), or hold them for the
 * test to drive.
 */
import WebSocket from "ws";
import type { Assignment, ServerFrame } from "../../src/shared/protocol.ts";

export interface WsFactoryOptions {
  seats?: number;
  leaseTtlSeconds?: number;
  capabilities?: string[];
  /** Finish each assignment immediately (building → complete). Default true. */
  autoComplete?: boolean;
}

export class WsFactory {
  readonly ws: WebSocket;
  readonly received = new Map<string, number>();
  readonly completed = new Set<string>();
  readonly assignments: Assignment[] = [];
  onAssign: ((a: Assignment, at: number) => void) | undefined;
  welcome: Extract<ServerFrame, { type: "welcome" }> | undefined;
  private nextId = 0;
  private readonly pending = new Map<string, (f: ServerFrame) => void>();

  private readonly opts: WsFactoryOptions;

  // A plain field, not a parameter property: the benchmark runs this file on Node's type stripping.
  private constructor(ws: WebSocket, opts: WsFactoryOptions) {
    this.ws = ws;
    this.opts = opts;
    ws.on("message", (raw) => this.onFrame(JSON.parse(String(raw)) as ServerFrame));
  }

  static async connect(base: string, product: string, token: string, opts: WsFactoryOptions = {}): Promise<WsFactory> {
    const url = `${base.replace(/^http/, "ws")}/api/v1/products/${product}/factories/connect`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const f = new WsFactory(ws, opts);
    const welcomed = new Promise<void>((resolve) => {
      const check = () => (f.welcome ? resolve() : setTimeout(check, 5));
      check();
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        v: 1,
        capabilities: opts.capabilities ?? [],
        seats: opts.seats ?? 1,
        engines: [],
        agentVersion: "ws-factory",
        ...(opts.leaseTtlSeconds ? { leaseTtlSeconds: opts.leaseTtlSeconds } : {}),
      }),
    );
    await welcomed;
    // Like the real agent: beat at the interval the coordinator asked for, or the reaper's sweep
    // closes this socket as a silent host after three missed beats.
    const beat = setInterval(
      () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "heartbeat", id: `hb-${++f.nextId}` })),
      f.welcome?.heartbeatIntervalMs ?? 15_000,
    );
    beat.unref();
    ws.once("close", () => clearInterval(beat));
    return f;
  }

  private onFrame(frame: ServerFrame) {
    if (frame.type === "welcome") this.welcome = frame;
    if ((frame.type === "ack" || frame.type === "error") && frame.id) {
      this.pending.get(frame.id)?.(frame);
      this.pending.delete(frame.id);
    }
    if (frame.type !== "assign") return;
    const at = performance.now();
    for (const a of frame.assignments) {
      this.received.set(a.job.id, (this.received.get(a.job.id) ?? 0) + 1);
      this.assignments.push(a);
      this.onAssign?.(a, at);
      if (this.opts.autoComplete !== false) void this.finish(a);
    }
  }

  /** Send a frame and wait for its ack/error. */
  request(frame: Record<string, unknown>): Promise<ServerFrame> {
    const id = String(++this.nextId);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  async finish(a: Assignment): Promise<boolean> {
    const lease = { jobId: a.job.id, leaseEpoch: a.leaseEpoch };
    const done = await this.request({ type: "complete", ...lease, result: { outcome: "success", rc: 0 } });
    if (done.type === "ack") this.completed.add(a.job.id);
    return done.type === "ack";
  }

  /** Die like a crashed host: no close frame, the TCP connection just goes. */
  kill() {
    this.ws.terminate();
  }

  close() {
    this.ws.close();
  }
}
