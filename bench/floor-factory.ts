/**
 * The floor's factories (bench/floor-workloads.ts): 2 sockets × 4 seats, as the peers harness runs gigafactory-ws,
 * each assignment answered with accept → progress `building` → complete, every frame awaited for its ack. A refused
 * frame fails the run (`failed`), as a fenced answer would abandon the job in the harness.
 */
import WebSocket from "ws";

const FACTORIES = 2;
const SEATS = 4;

interface Assignment {
  jobId: number;
  leaseEpoch: number;
  body: string;
}

/**
 * What the seats did, by job: a job pushed twice is a duplicate; `all` resolves when `expected` distinct jobs are
 * complete, `reached(n)` when n are.
 */
export class Progress {
  private readonly pushed = new Set<number>();
  private completed = 0;
  private readonly waits: Array<{ n: number; resolve: () => void }> = [];
  duplicates = 0;
  /** Called with the job's body when its handler would start (after the building ack). */
  onStart: (body: string) => void = () => {};
  readonly all: Promise<void>;

  constructor(expected: number) {
    this.all = this.reached(expected);
  }

  reached(n: number): Promise<void> {
    if (this.completed >= n) return Promise.resolve();
    return new Promise((resolve) => this.waits.push({ n, resolve }));
  }

  pushedJob(a: Assignment): void {
    if (this.pushed.has(a.jobId)) this.duplicates++;
    this.pushed.add(a.jobId);
  }

  completedJob(): void {
    this.completed++;
    for (const w of this.waits.filter((w) => w.n <= this.completed)) w.resolve();
  }
}

/** One factory socket: `request` sends a frame and resolves on its ack; an error answer rejects `failed`. */
export class FloorFactory {
  private next = 0;
  private readonly waiting = new Map<string, () => void>();
  private readonly ws: WebSocket;
  private readonly progress: Progress;
  private fail: (e: Error) => void = () => {};
  /** Rejects when the floor refuses a frame or the socket closes under a run; never resolves. */
  readonly failed = new Promise<never>((_, reject) => {
    this.fail = reject;
  });

  // Plain fields, not parameter properties: this file runs on Node's type stripping.
  private constructor(ws: WebSocket, progress: Progress) {
    this.ws = ws;
    this.progress = progress;
    this.failed.catch(() => {}); // observed by the workload's race; never an unhandled rejection
    ws.on("message", (raw) => {
      const f = JSON.parse(String(raw)) as { type: string; id?: string; code?: string; assignments?: Assignment[] };
      if (f.type === "assign") for (const a of f.assignments ?? []) void this.run(a);
      else if (f.type === "error") this.fail(new Error(`the floor refused frame ${f.id}: ${f.code}`));
      else if (f.id) {
        this.waiting.get(f.id)?.();
        this.waiting.delete(f.id);
      }
    });
    ws.on("close", () => this.fail(new Error("the floor closed a factory socket")));
  }

  static async connect(base: string, progress: Progress, memory: boolean): Promise<FloorFactory> {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/connect${memory ? "?memory=1" : ""}`);
    await new Promise((res, rej) => ws.once("open", res).once("error", rej));
    const f = new FloorFactory(ws, progress);
    const welcomed = new Promise((res) => ws.once("message", res));
    ws.send(JSON.stringify({ type: "hello", seats: SEATS }));
    await welcomed;
    return f;
  }

  private request(type: string, a: Assignment): Promise<void> {
    const id = String(++this.next);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ type, id, jobId: a.jobId, leaseEpoch: a.leaseEpoch }));
    });
  }

  private async run(a: Assignment): Promise<void> {
    this.progress.pushedJob(a);
    await this.request("accept", a);
    await this.request("progress", a);
    this.progress.onStart(a.body);
    await this.request("complete", a);
    this.progress.completedJob();
  }

  /** Closes the socket; a close after this is not a failure. */
  close(): void {
    this.fail = () => {};
    this.ws.close();
  }
}

/** The floor's fleet for one run of `expected` jobs; `close` ends every socket. */
export async function openFactories(
  base: string,
  expected: number,
  memory: boolean,
): Promise<{ factories: FloorFactory[]; progress: Progress; close: () => void }> {
  const progress = new Progress(expected);
  const factories = await Promise.all(
    Array.from({ length: FACTORIES }, () => FloorFactory.connect(base, progress, memory)),
  );
  const close = () => {
    for (const f of factories) f.close();
  };
  return { factories, progress, close };
}
