/**
 * @module durable-objects/job-feed
 * One Durable Object per job: its append-only event log (gapless `seq`), the
 * live feed to any number of watchers — WebSocket (hibernating when idle) or
 * SSE — with resume from any `seq`, and the pointers to its artifacts in R2.
 *
 * Replay-then-live is paged and gapless without locks (feed/ws-watchers,
 * feed/sse): each page is read, sent and — at the end of the log — switched
 * to live in one synchronous step, and appends are synchronous too. Memory is
 * bounded per job: at most MAX_WATCHERS watchers, each with about one replay
 * page in flight, and the SSE streams' live backlog at most about
 * FEED_BACKLOG_BYTES together (feed/sse) — but not yet what live WebSocket
 * watchers have not read (feed/ws-watchers says why). Its artifact pointers,
 * and the sweep that deletes the bytes nothing points to, are the layer below
 * (feed/artifact-rpc).
 */
import type { JobEvent } from "../shared/protocol.ts";
import { ArtifactRpc } from "./feed/artifact-rpc.ts";
import type { ArtifactPointer } from "./feed/artifacts.ts";
import { appendEvents, eventsAfter, lastSeq, type NewEvent } from "./feed/event-log.ts";
import { bytesRefused, forgetLog, type PurgeResult } from "./feed/purge.ts";
import { OPENED_BY_PARAM, StreamRevocation } from "./feed/revocation.ts";
import { type Refusal, type Reservation, WatcherSlots } from "./feed/watcher-slots.ts";
import { acceptWatcher, closeWatchers, onWatcherMessage, WATCHER_TAG, watcherStates } from "./feed/ws-watchers.ts";

export type FeedAppend = NewEvent;

export type { ArtifactPointer };

/**
 * Watchers (WebSocket + SSE) per job. 256: a dashboard per operator plus tools, and room above the benchmark's
 * 100-watcher fan-out; × one 512 KiB replay page each, a JobFeed's replay memory stays under 128 MiB.
 */
export const MAX_WATCHERS = 256;

/**
 * Streams (WebSocket + SSE) of one job's feed one token may hold. 16: a few dashboard tabs and CLI watches of one
 * person or tool, with room for reconnects; far under MAX_WATCHERS, so one read-only token (a dashboard left open, a
 * script, a leaked CI token) cannot take every slot of a job and lock out the operators and the admin who must act on
 * it. The admin is not bounded per token (one deployment secret; MAX_WATCHERS still bounds it).
 */
export const MAX_WATCHERS_PER_TOKEN = 16;

/** What `GET …/events/ws|stream` gets when the job already has MAX_WATCHERS watchers (the route maps it to 429). */
export const WATCHER_CAP_STATUS = 429;

/**
 * What `GET …/events/ws|stream` gets, with `{ lastSeq }`, when `after` is past the feed's last seq (the route maps it
 * to 416 `after_beyond_feed`): seqs come from this feed only and stay monotonic across a purge, so no client saw
 * such a seq. Accepted, the watcher would go live at once and then be sent events with seqs at or below `after`.
 */
export const AFTER_BEYOND_STATUS = 416;

/** The headers of an SSE feed's response (and of a HEAD for it: worker/routes/events). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
};

/** Query parameter on the Worker → JobFeed request carrying the pass `reserveWatcher` gave (feed/watcher-slots). */
export const PASS_PARAM = "pass";

/** The watcher cap's refusal text (the route's 429 problem `detail`), whether the reserve or the accept refused. */
export function watcherCapDetail(watching: number): string {
  return `this job already has ${watching} watchers (at most ${MAX_WATCHERS}); close one first`;
}

/** The per-token bound's refusal text (the route's 429 problem `detail`). */
export function tokenWatcherCapDetail(held: number): string {
  return `this token already holds ${held} streams of this job's feed (at most ${MAX_WATCHERS_PER_TOKEN} per token); close one first`;
}

/** The refusal text of either cap (feed/watcher-slots `Refusal`). */
export function refusalDetail(r: Refusal): string {
  return "full" in r ? watcherCapDetail(r.full) : tokenWatcherCapDetail(r.tokenFull);
}

/** Close code for watchers of a feed pruned by retention (4000–4999: application-defined; 4410 echoes 410 Gone). */
export const CLOSE_PRUNED = 4410;

export class JobFeed extends ArtifactRpc {
  private readonly revocation = new StreamRevocation(this.sql);
  private readonly slots = new WatcherSlots(
    MAX_WATCHERS,
    () => this.ctx.getWebSockets(WATCHER_TAG).length + this.sse.count,
    MAX_WATCHERS_PER_TOKEN,
    (opener) => this.revocation.openedBy(this.ctx, this.sse.held, opener), // as the cap counts (sse `count`)
  );

  async append(productId: string, jobId: string, events: FeedAppend[]): Promise<number> {
    const added = this.ctx.storage.transactionSync(() => {
      this.remember(productId, jobId);
      return appendEvents(this.sql, events);
    });
    this.broadcast(added);
    return lastSeq(this.sql);
  }

  async list(after: number, limit: number): Promise<{ events: JobEvent[]; lastSeq: number }> {
    return { events: eventsAfter(this.sql, after, limit), lastSeq: lastSeq(this.sql) };
  }

  // ---- watchers --------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const after = Number(url.searchParams.get("after") ?? "0");
    const kind = url.pathname.endsWith("/ws") ? "ws" : url.pathname.endsWith("/stream") ? "stream" : undefined;
    if (!kind) return new Response("not found", { status: 404 });
    // The pass is used up whatever follows (a refusal below frees its slot too); from here to the accept no await.
    const openedBy = url.searchParams.get(OPENED_BY_PARAM) ?? "";
    const full = this.slots.admit(url.searchParams.get(PASS_PARAM), Date.now(), openedBy);
    const refused = this.revocation.refuse(openedBy);
    if (refused) return refused;
    // Checked in the same synchronous step as the accept below: no append can come in between.
    const last = lastSeq(this.sql);
    if (after > last) return Response.json({ lastSeq: last }, { status: AFTER_BEYOND_STATUS });
    if (full !== undefined) return new Response(refusalDetail(full), { status: WATCHER_CAP_STATUS });
    if (kind === "ws") {
      const pair = new WebSocketPair();
      acceptWatcher(this.ctx, this.sql, pair[1], after, this.revocation.tags(openedBy));
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    return new Response(
      this.sse.open(this.sql, after, (client) => this.revocation.track(client, openedBy)),
      { headers: SSE_HEADERS },
    );
  }

  /**
   * A slot for a stream the Worker is about to register (feed/watcher-slots): a pass to open it with (`?pass=`), or
   * `full` — the cap's refusal, told before the coordinator is asked anything.
   */
  async reserveWatcher(opener: string): Promise<Reservation> {
    return this.slots.reserve(Date.now(), opener);
  }

  /** The stream `pass` was reserved for was refused before it reached this feed: its slot is free again. */
  async releaseWatcher(pass: string): Promise<void> {
    this.slots.release(pass);
  }

  /** The token with this hash was revoked: close the streams it opened (feed/revocation). */
  async revokeStreams(tokenHash: string): Promise<number> {
    return this.revocation.close(this.ctx, this.sse.clients, tokenHash);
  }

  /**
   * Retention (coordinator/jobs/retention decides when, as of its outbox seq `decidedThrough`): the event log and
   * artifact pointers deleted and every watcher closed with CLOSE_PRUNED, in one synchronous step; then the
   * artifacts' bytes deleted from R2 (feed/purge). Only the seq reached is kept (`seq_base`), so seq stays monotonic
   * should the job be requeued. D1 history keeps the job's archive. Idempotent.
   *
   * Refused (`revived`, nothing changed, no watcher closed) when the log holds an event the coordinator enqueued
   * after `decidedThrough`: the job was requeued after the purge was decided, and its events reached the feed first.
   * If they come after, they land on the emptied log and continue its seq — either way none is lost.
   * Bytes R2 refuses to delete stay queued (`doomed_bytes`), and the purge answers `bytesLeft`: not done. Answered
   * as done, the coordinator's watermark passed the job, the cron run was reported a success, and only this feed's
   * alarm knew the bytes were still in R2, retrying once a minute for ever. Now the coordinator counts it failed
   * (the cron run fails naming the product) and purges it again on its next pass (idempotent: the log is empty,
   * the bytes are asked for again), while the alarm retries, backed off (feed/upload-intents `nextSweepAt`).
   */
  async purge(decidedThrough: number, settledAt?: number): Promise<PurgeResult> {
    const forgot = this.ctx.storage.transactionSync(() => forgetLog(this.sql, decidedThrough, settledAt));
    if (forgot.revived) return forgot;
    if (forgot.events > 0 || forgot.artifacts > 0) {
      closeWatchers(this.ctx, CLOSE_PRUNED, "feed pruned by retention");
      this.sse.closeAll("feed pruned by retention");
    }
    await this.armSweep(); // armed before R2 is asked: whatever it refuses below is the alarm's to retry too
    try {
      await this.deleteDoomed();
    } catch (err) {
      console.warn(`purged feed's artifact bytes not deleted yet: ${String(err)}`);
      return bytesRefused(this.sql, forgot, err);
    }
    return forgot;
  }

  /** How many watch this job, and how far each WebSocket watcher's replay has come. */
  async watchers(): Promise<{
    sockets: Array<{ through: number; live: boolean }>;
    streams: Array<{ through: number; live: boolean }>;
  }> {
    const streams = [...this.sse.clients].filter((c) => !c.closed).map((c) => ({ through: c.through, live: c.live }));
    return { sockets: watcherStates(this.ctx), streams };
  }

  /** Bytes this feed's SSE streams hold queued for their readers (feed/sse FEED_BACKLOG_BYTES bounds it). */
  async sseBacklog(): Promise<number> {
    return this.sse.backlog();
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    onWatcherMessage(this.sql, ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
  }
}
