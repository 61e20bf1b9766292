/**
 * @module durable-objects/job-feed
 * One Durable Object per job: its append-only event log (gapless `seq`), the
 * live feed to any number of watchers — WebSocket (hibernating when idle) or
 * SSE — with resume from any `seq`, and the pointers to its artifacts in R2.
 *
 * Replay-then-live is gapless without locks: a new watcher's replay is read
 * and sent inside one synchronous step, and appends are synchronous too, so no
 * event can fall between "replayed" and "live".
 */
import { DurableObject } from "cloudflare:workers";
import type { FeedFrame, JobEvent } from "../shared/protocol.ts";
import { type ArtifactPointer, deletePointer, getPointer, listPointers, putPointer } from "./feed/artifacts.ts";
import { appendEvents, eventsAfter, FEED_SCHEMA_SQL, lastSeq, type NewEvent } from "./feed/event-log.ts";
import { OPENED_BY_PARAM, StreamRevocation } from "./feed/revocation.ts";
import { SseClient, sseComment, sseEvent } from "./feed/sse.ts";

export type FeedAppend = NewEvent;

export type { ArtifactPointer };

/** Events per replay chunk / per REST page: bounded memory for very chatty jobs. */
const REPLAY_CHUNK = 500;
/** SSE keep-alive comment interval: under common 30–60 s proxy idle timeouts. */
const SSE_KEEPALIVE_MS = 15_000;

export class JobFeed extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly sse = new Set<SseClient>();
  private readonly revocation = new StreamRevocation();
  private keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(FEED_SCHEMA_SQL);
    });
  }

  async append(productId: string, jobId: string, events: FeedAppend[]): Promise<number> {
    this.remember(productId, jobId);
    const added = this.ctx.storage.transactionSync(() => appendEvents(this.sql, events));
    this.broadcast(added);
    return lastSeq(this.sql);
  }

  async list(after: number, limit: number): Promise<{ events: JobEvent[]; lastSeq: number }> {
    return { events: eventsAfter(this.sql, after, Math.min(limit, REPLAY_CHUNK)), lastSeq: lastSeq(this.sql) };
  }

  // ---- artifacts (pointers; bytes are in R2) -------------------------------------

  /** Record a pointer the coordinator fenced (see coordinator/artifact-commit); returns the one it replaced. */
  async putArtifact(p: ArtifactPointer): Promise<ArtifactPointer | null> {
    this.remember(p.r2Key.split("/")[0] ?? "", p.jobId);
    const { added, replaced } = this.ctx.storage.transactionSync(() => putPointer(this.sql, p));
    this.broadcast(added);
    return replaced;
  }

  async listArtifacts(): Promise<ArtifactPointer[]> {
    return listPointers(this.sql, this.meta("job_id") ?? "");
  }

  async getArtifact(name: string): Promise<ArtifactPointer | null> {
    return getPointer(this.sql, this.meta("job_id") ?? "", name);
  }

  async deleteArtifact(name: string, at: number): Promise<ArtifactPointer | null> {
    const jobId = this.meta("job_id") ?? "";
    const { added, removed } = this.ctx.storage.transactionSync(() => deletePointer(this.sql, jobId, name, at));
    this.broadcast(added);
    return removed;
  }

  // ---- watchers --------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const after = Number(url.searchParams.get("after") ?? "0");
    const openedBy = url.searchParams.get(OPENED_BY_PARAM) ?? "";
    const refused = this.revocation.refuse(openedBy);
    if (refused) return refused;
    if (url.pathname.endsWith("/ws")) return this.openSocket(after, openedBy);
    if (url.pathname.endsWith("/stream")) return this.openStream(after, openedBy);
    return new Response("not found", { status: 404 });
  }

  /** The token with this hash was revoked: close the streams it opened (feed/revocation). */
  async revokeStreams(tokenHash: string): Promise<number> {
    const closed = this.revocation.close(this.ctx, this.sse, tokenHash);
    this.pruneStreams();
    return closed;
  }

  private openSocket(after: number, openedBy: string): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, this.revocation.tags(openedBy));
    for (let from = after; ; ) {
      const page = eventsAfter(this.sql, from, REPLAY_CHUNK);
      for (const event of page) server.send(JSON.stringify({ type: "event", event } satisfies FeedFrame));
      if (page.length < REPLAY_CHUNK) break;
      from = page[page.length - 1]!.seq;
    }
    server.send(JSON.stringify({ type: "ready", lastSeq: lastSeq(this.sql) } satisfies FeedFrame));
    return new Response(null, { status: 101, webSocket: client });
  }

  private openStream(after: number, openedBy: string): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const client = new SseClient(writable);
    this.revocation.track(client, openedBy);
    client.write(sseComment(`job feed, resuming after ${after}`));
    for (let from = after; ; ) {
      const page = eventsAfter(this.sql, from, REPLAY_CHUNK);
      for (const event of page) client.write(sseEvent(event));
      if (page.length < REPLAY_CHUNK) break;
      from = page[page.length - 1]!.seq;
    }
    this.sse.add(client);
    this.keepAlive ??= setInterval(() => this.pingStreams(), SSE_KEEPALIVE_MS);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
    });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Watchers only listen; a "ping" gets a "pong" so clients can test liveness.
    if (message === "ping") ws.send("pong");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
  }

  private broadcast(events: readonly JobEvent[]): void {
    if (events.length === 0) return;
    const sockets = this.ctx.getWebSockets("watcher");
    for (const event of events) {
      const frame = JSON.stringify({ type: "event", event } satisfies FeedFrame);
      for (const ws of sockets) {
        try {
          ws.send(frame);
        } catch {
          /* closing; the runtime drops it */
        }
      }
      const chunk = sseEvent(event);
      for (const c of this.sse) c.write(chunk);
    }
    this.pruneStreams();
  }

  private pingStreams(): void {
    for (const c of this.sse) c.write(sseComment("keep-alive"));
    this.pruneStreams();
  }

  private pruneStreams(): void {
    for (const c of this.sse) if (c.closed) this.sse.delete(c);
    if (this.sse.size === 0 && this.keepAlive !== undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }

  private remember(productId: string, jobId: string): void {
    if (this.meta("job_id") === jobId) return;
    this.sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('job_id', ?), ('product_id', ?)", jobId, productId);
  }

  private meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }
}
