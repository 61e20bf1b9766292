/**
 * The runtime floor's Worker (bench/floor.ts): the least a durable, fenced push coordinator can do for the peers
 * harness's protocol on the local runtime — and nothing else. One Durable Object with SQLite storage, one table;
 * per job: one INSERT at submit, one fenced UPDATE per frame (accept, building, complete), an ack per frame after
 * its write commits (the output gate holds it until then), and an assign frame pushed to a free seat. No outbox,
 * no feeds, no history, no policies, no validation beyond JSON.parse.
 *
 * Why it exists: a job on our coordinator costs ~1.6 ms of the runtime's thread during a burst, and removing any
 * one subsystem in an experiment saved at most 8 % (bench/README, issue 12 sixth and seventh passes). What part
 * of that the local runtime itself takes — HTTP, the Durable Object call, WebSocket frames, SQLite commits — is
 * what this Worker measures, so "the coordinator's own CPU per job" is ours minus this.
 *
 * Written in erasable TypeScript only: bench/floor.ts strips the types (node:module `stripTypeScriptTypes`) and
 * hands the result to Miniflare as one ES module, no bundler.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  FLOOR: DurableObjectNamespace<Floor>;
}

/** A factory frame as the harness sends it: `{type, id, jobId, leaseEpoch}` (hello: `seats`). */
interface Frame {
  type: string;
  id?: string;
  jobId?: number;
  leaseEpoch?: number;
  seats?: number;
}

/** Stage a frame moves its job to, and the stage it must find it in (the fence's second half). */
const MOVES: Record<string, [from: string, to: string]> = {
  accept: ["assigned", "accepted"],
  progress: ["accepted", "building"],
  complete: ["building", "done"],
};

export class Floor extends DurableObject<FloorEnv> {
  private readonly sql: SqlStorage;
  /** Free seats per connected socket (in memory: the bench's sockets live for one run). */
  private readonly free = new Map<WebSocket, number>();

  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY, stage TEXT NOT NULL,
      epoch INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS jobs_queued ON jobs(id) WHERE stage = 'queued'");
  }

  /** Queue `bodies` (one INSERT each, one commit for all), push what free seats can take; returns the ids. */
  submit(bodies: string[]): number[] {
    const ids = bodies.map(
      (b) =>
        this.sql.exec<{ id: number }>("INSERT INTO jobs(stage, body) VALUES ('queued', ?) RETURNING id", b).one().id,
    );
    this.dispatch();
    return ids;
  }

  override async fetch(): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const f = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)) as Frame;
    if (f.type === "hello") {
      this.free.set(ws, f.seats ?? 1);
      ws.send(JSON.stringify({ type: "welcome" }));
      this.dispatch();
      return;
    }
    const move = MOVES[f.type];
    if (!move) return ws.send(JSON.stringify({ type: "error", id: f.id, code: "unknown_frame" }));
    // Fenced at commit: the write names the epoch the frame carries and the stage it expects.
    const changed = this.sql.exec(
      "UPDATE jobs SET stage = ? WHERE id = ? AND epoch = ? AND stage = ?",
      move[1],
      f.jobId ?? -1,
      f.leaseEpoch ?? -1,
      move[0],
    ).rowsWritten;
    ws.send(JSON.stringify(changed ? { type: "ack", id: f.id } : { type: "error", id: f.id, code: "fenced" }));
    if (f.type === "complete" && changed) {
      this.free.set(ws, (this.free.get(ws) ?? 0) + 1);
      this.dispatch();
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.free.delete(ws);
  }

  /** Push queued jobs to free seats, oldest first: one assign frame per socket per pass. */
  private dispatch(): void {
    for (const [ws, seats] of this.free) {
      if (seats <= 0) continue;
      const jobs = this.sql
        .exec<{ id: number; epoch: number; body: string }>(
          "UPDATE jobs SET stage = 'assigned', epoch = epoch + 1 WHERE id IN " +
            "(SELECT id FROM jobs WHERE stage = 'queued' ORDER BY id LIMIT ?) RETURNING id, epoch, body",
          seats,
        )
        .toArray();
      if (jobs.length === 0) return;
      this.free.set(ws, seats - jobs.length);
      ws.send(
        JSON.stringify({
          type: "assign",
          assignments: jobs.map((j) => ({ jobId: j.id, leaseEpoch: j.epoch, body: j.body })),
        }),
      );
    }
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const stub = env.FLOOR.getByName("floor");
    const url = new URL(request.url);
    if (url.pathname === "/connect") return stub.fetch(request);
    if (url.pathname === "/jobs" && request.method === "POST") {
      const { bodies } = (await request.json()) as { bodies: string[] };
      return Response.json({ ids: await stub.submit(bodies) }, { status: 201 });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;
