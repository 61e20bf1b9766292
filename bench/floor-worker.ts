/**
 * The runtime floor's Worker (bench/floor.ts): the least a durable, fenced push coordinator can do for the peers
 * harness's protocol on the local runtime — and nothing else. One Durable Object with SQLite storage, one table;
 * per job: one INSERT at submit (its idempotency key unique, as the harness sends one), and per frame (accept,
 * building, complete) one UPDATE fenced by the holder, the lease epoch and the expected stage, acked after its
 * write commits (the output gate holds the ack until then); an assign frame pushed to a free seat, with its lease.
 * No outbox, feeds, history, policies, auth or validation beyond JSON.parse.
 *
 * `?memory=1` on `/connect` is the lighter design our standards rule out (a factory's every state change is fenced
 * at commit): accept and building are fenced against the job's row in memory and acked without a write, so a job
 * costs its submit, assign and complete commits only. It measures what that guarantee costs locally.
 *
 * Why it exists: six passes found no single removal in our coordinator worth more than ~8 % (bench/README, seventh
 * pass). How much of a job's cost the local runtime itself takes — HTTP, the object call, WebSocket frames, SQLite
 * commits — is what this Worker measures, so "the coordinator's own CPU per job" is ours minus this.
 *
 * Erasable TypeScript only: bench/floor.ts strips the types (node:module `stripTypeScriptTypes`) and hands the
 * result to Miniflare as one ES module, no bundler.
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

/** One connected factory: its id (the lease holder's name), free seats, and whether it acks progress from memory. */
interface Seat {
  holder: string;
  free: number;
  memory: boolean;
}

/** Stage a frame moves its job to, and the stage it must find it in (the fence's second half). */
const MOVES: Record<string, [from: string, to: string]> = {
  accept: ["assigned", "accepted"],
  progress: ["accepted", "building"],
  complete: ["building", "done"],
};
/** The lease an assignment carries (ms): written, never expired here (a run lasts seconds). */
const LEASE_MS = 60_000;

export class Floor extends DurableObject<FloorEnv> {
  private readonly sql: SqlStorage;
  /** Connected factories (in memory: the bench's sockets live for one run). */
  private readonly seats = new Map<WebSocket, Seat>();
  /** `memory` mode: the stage each held job reached without a write (job id → stage). */
  private readonly progressed = new Map<number, string>();
  private nextHolder = 0;

  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
      stage TEXT NOT NULL, epoch INTEGER NOT NULL DEFAULT 0, holder TEXT, lease_until INTEGER, body TEXT NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS jobs_queued ON jobs(id) WHERE stage = 'queued'");
  }

  /**
   * Queue `jobs` in one statement and one commit (a key seen before is skipped), push what free seats can take.
   * One JSON parameter, not two per job: a Durable Object's statement takes at most 100 bound parameters.
   */
  submit(jobs: Array<{ key: string; body: string }>): number {
    const written = this.sql.exec(
      `INSERT INTO jobs(key, stage, body) SELECT value ->> 'key', 'queued', value ->> 'body' FROM json_each(?)
        WHERE true ON CONFLICT(key) DO NOTHING`,
      JSON.stringify(jobs),
    ).rowsWritten;
    this.dispatch();
    return written;
  }

  /** Jobs by stage, read from storage: what the bench checks after a run. */
  stats(): Record<string, number> {
    const rows = this.sql.exec<{ stage: string; n: number }>("SELECT stage, count(*) AS n FROM jobs GROUP BY stage");
    return Object.fromEntries([...rows].map((r) => [r.stage, r.n]));
  }

  override async fetch(request: Request): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    const memory = new URL(request.url).searchParams.get("memory") === "1";
    this.seats.set(pair[1], { holder: `f${++this.nextHolder}`, free: 0, memory });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const f = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)) as Frame;
    const seat = this.seats.get(ws);
    if (!seat) return ws.close(4002, "unknown socket");
    if (f.type === "hello") {
      seat.free = f.seats ?? 1;
      ws.send(JSON.stringify({ type: "welcome" }));
      this.dispatch();
      return;
    }
    const move = MOVES[f.type];
    if (!move) return ws.send(JSON.stringify({ type: "error", id: f.id, code: "unknown_frame" }));
    const ok = seat.memory && f.type !== "complete" ? this.moveInMemory(seat, f, move) : this.move(seat, f, move);
    ws.send(JSON.stringify(ok ? { type: "ack", id: f.id } : { type: "error", id: f.id, code: "fenced" }));
    if (f.type === "complete" && ok) {
      seat.free++;
      this.dispatch();
    }
  }

  /** The frame's move, fenced at commit: the write names the holder, the epoch and the stage it expects. */
  private move(seat: Seat, f: Frame, [from, to]: [string, string]): boolean {
    const id = f.jobId ?? -1;
    // In memory mode the row never left `assigned`: the stage reached is in memory, and the write expects the row's.
    if (seat.memory && this.progressed.get(id) !== from) return false;
    const changed = this.sql.exec(
      "UPDATE jobs SET stage = ? WHERE id = ? AND holder = ? AND epoch = ? AND stage = ?",
      to,
      id,
      seat.holder,
      f.leaseEpoch ?? -1,
      seat.memory ? "assigned" : from,
    ).rowsWritten;
    // Only a move that happened ends the in-memory stage: a refused frame changes nothing.
    if (changed === 1) this.progressed.delete(id);
    return changed === 1;
  }

  /** `memory` mode: the same fence against the row (read, not written), the stage kept in memory. */
  private moveInMemory(seat: Seat, f: Frame, [from, to]: [string, string]): boolean {
    const id = f.jobId ?? -1;
    const row = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM jobs WHERE id = ? AND holder = ? AND epoch = ? AND stage = 'assigned'",
        id,
        seat.holder,
        f.leaseEpoch ?? -1,
      )
      .one();
    if (row.n !== 1 || (this.progressed.get(id) ?? "assigned") !== from) return false;
    this.progressed.set(id, to);
    return true;
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.seats.delete(ws);
  }

  /** Push queued jobs to free seats, oldest first: one assign frame per socket per pass, each with its lease. */
  private dispatch(): void {
    for (const [ws, seat] of this.seats) {
      if (seat.free <= 0) continue;
      const jobs = this.sql
        .exec<{ id: number; epoch: number; body: string }>(
          "UPDATE jobs SET stage = 'assigned', epoch = epoch + 1, holder = ?, lease_until = ? WHERE id IN " +
            "(SELECT id FROM jobs WHERE stage = 'queued' ORDER BY id LIMIT ?) RETURNING id, epoch, body",
          seat.holder,
          Date.now() + LEASE_MS,
          seat.free,
        )
        .toArray();
      if (jobs.length === 0) return;
      seat.free -= jobs.length;
      const assignments = jobs.map((j) => ({ jobId: j.id, leaseEpoch: j.epoch, body: j.body }));
      ws.send(JSON.stringify({ type: "assign", assignments }));
    }
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const stub = env.FLOOR.getByName("floor");
    const url = new URL(request.url);
    if (url.pathname === "/connect") return stub.fetch(request);
    if (url.pathname === "/stats") return Response.json(await stub.stats());
    if (url.pathname === "/jobs" && request.method === "POST") {
      const { jobs } = (await request.json()) as { jobs: Array<{ key: string; body: string }> };
      return Response.json({ written: await stub.submit(jobs) }, { status: 201 });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;
