/**
 * A minimal factory speaking protocol v1 over a real `ws` socket — for the
 * end-to-end tests and the benchmark (the real agent lives in src/agent). It
 * can finish every assignment at once ("no-op jobs"), or hold them for the
 * test to drive; optionally the way a fleet of busy hosts would, with fewer
 * frames: accept-and-start in one frame, lease frames batched.
 */
import WebSocket from "ws";
import { type Assignment, type BatchResult, MAX_BATCH_FRAMES, type ServerFrame } from "../../src/shared/protocol.ts";

export interface WsFactoryOptions {
  seats?: number;
  leaseTtlSeconds?: number;
  capabilities?: string[];
  /** Finish each assignment immediately (building → complete). Default true. */
  autoComplete?: boolean;
  /**
   * Before completing an assignment, accept it with `stage: "building"` (one frame: accepted and started), as
   * the agent does with a coordinator that announces it. Default false: complete at once, no accept.
   */
  acceptBuilding?: boolean;
  /**
   * Accept, then `progress {stage: "building"}`, then complete: three acknowledged frames per job, the way the
   * shared peers harness (and an agent older than accept-building) does. Wins over `acceptBuilding`.
   */
  threeStep?: boolean;
  /**
   * Lease frames sent through `leaseRequest` (the accepts and completes of `finish`) within one macrotask travel
   * as one `batch` frame (≤ MAX_BATCH_FRAMES each; each caller still gets its own answer). Default false.
   */
  batch?: boolean;
}

type Answer = Extract<ServerFrame, { type: "ack" | "error" }>;

export class WsFactory {
  readonly ws: WebSocket;
  readonly received = new Map<string, number>();
  readonly completed = new Set<string>();
  readonly assignments: Assignment[] = [];
  /** Frames sent through `request` by type; frames that went inside a batch count as `batched <type>`. */
  readonly sent = new Map<string, number>();
  onAssign: ((a: Assignment, at: number) => void) | undefined;
  welcome: Extract<ServerFrame, { type: "welcome" }> | undefined;
  private nextId = 0;
  private readonly pending = new Map<string, (f: ServerFrame) => void>();
  /** Lease frames waiting for this macrotask's batch (`batch` option). */
  private gathered: Array<{ frame: Record<string, unknown>; answer: (f: Answer) => void }> = [];

  private readonly opts: WsFactoryOptions;

  // A plain field, not a parameter property: the benchmark runs this file on Node's type stripping.
  private constructor(ws: WebSocket, opts: WsFactoryOptions) {
    this.ws = ws;
    this.opts = opts;
    ws.on("message", (raw) => this.onFrame(JSON.parse(String(raw)) as ServerFrame));
  }

  /**
   * Enrolls a factory `name` as `admin` (`POST …/factories/enroll`, with `opts.capabilities` and `opts.seats`, default
   * none and 1) and connects it with those options: the set-up of most dashboard scenarios.
   * @throws Error when the enrollment is refused (its status and answer)
   */
  static async enroll(base: string, product: string, admin: string, name: string, opts: WsFactoryOptions = {}) {
    const res = await fetch(`${base}/api/v1/products/${product}/factories/enroll`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name, capabilities: opts.capabilities ?? [], seats: opts.seats ?? 1 }),
    });
    if (!res.ok) throw new Error(`enrolling ${name}: ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    return WsFactory.connect(base, product, token, opts);
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
    this.count(String(frame.type));
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /**
   * A lease frame (accept, progress, complete, …) and its answer: sent alone, or with the `batch` option gathered
   * with the others of this macrotask into one `batch` frame, each caller answered with its own frame's result.
   */
  leaseRequest(frame: Record<string, unknown>): Promise<Answer> {
    if (!this.opts.batch) return this.request(frame) as Promise<Answer>;
    return new Promise((answer) => {
      if (this.gathered.length === 0) setImmediate(() => this.sendBatches());
      this.gathered.push({ frame, answer });
    });
  }

  private count(what: string): void {
    this.sent.set(what, (this.sent.get(what) ?? 0) + 1);
  }

  private sendBatches(): void {
    while (this.gathered.length > 0) {
      const items = this.gathered.splice(0, MAX_BATCH_FRAMES);
      for (const item of items) this.count(`batched ${String(item.frame.type)}`);
      void this.request({ type: "batch", frames: items.map((i) => i.frame) }).then((reply) => {
        for (const [k, item] of items.entries()) {
          const r = reply.type === "ack" ? (reply.result as BatchResult).results[k] : undefined;
          const id = (reply as Answer).id ?? "";
          if (!r)
            item.answer(reply as Answer); // the whole batch refused: each frame hears why
          else if (r.ok) item.answer({ type: "ack", id, result: r.result });
          else item.answer({ type: "error", id, code: r.code, message: r.message });
        }
      });
    }
  }

  async finish(a: Assignment): Promise<boolean> {
    const lease = { jobId: a.job.id, leaseEpoch: a.leaseEpoch };
    if (this.opts.threeStep) {
      const accepted = await this.leaseRequest({ type: "accept", ...lease });
      if (accepted.type !== "ack") return false;
      const building = await this.leaseRequest({ type: "progress", ...lease, stage: "building" });
      if (building.type !== "ack") return false;
    } else if (this.opts.acceptBuilding) {
      const started = await this.leaseRequest({ type: "accept", ...lease, stage: "building" });
      if (started.type !== "ack") return false;
    }
    const done = await this.leaseRequest({ type: "complete", ...lease, result: { outcome: "success", rc: 0 } });
    if (done.type === "ack") this.completed.add(a.job.id);
    return done.type === "ack";
  }

  /**
   * The assignment of `jobId` once it is pushed here, looked for every 25 ms (a beforeAll has no expect.poll).
   * @throws Error when it has not come within `timeoutMs` (ms)
   */
  async assignmentOf(jobId: string, timeoutMs = 30_000): Promise<Assignment> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.assignments.find((a) => a.job.id === jobId);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`job ${jobId} was never pushed to the factory`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Sends `frame` and returns its ack.
   * @throws Error naming the refusal (the whole answer) when the coordinator does not ack it
   */
  async acked(frame: Record<string, unknown>): Promise<ServerFrame> {
    const reply = await this.request(frame);
    if (reply.type !== "ack") throw new Error(`${String(frame.type)} was not acked: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Die like a crashed host: no close frame, the TCP connection just goes. */
  kill() {
    this.ws.terminate();
  }

  close() {
    this.ws.close();
  }
}
