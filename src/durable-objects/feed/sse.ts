/**
 * @module durable-objects/feed/sse
 * Server-Sent Events for plain HTTP clients: `id:` is the event's seq, so a
 * browser's automatic reconnect sends `Last-Event-ID` and resumes exactly.
 *
 * Replay is paged and waits for the stream to drain before each page (the
 * writer's `ready`: backpressure from the reader), so a watcher resuming a
 * long log holds about one page in memory, not the log. Live events are
 * written as they come; a reader that falls MAX_BACKLOG_BYTES behind is cut
 * off with a comment saying so — it reconnects with Last-Event-ID and catches
 * up through the paged replay — rather than buffering without bound. Until
 * its reader has drained it, an ended stream still counts toward the job's
 * watcher cap (`count`): its backlog is still held — until a keep-alive interval
 * passes in which its reader took nothing (gone or stalled: `ping`), when it is
 * dropped with its backlog. All of a feed's streams
 * together hold at most about FEED_BACKLOG_BYTES: past it, a stream that is
 * behind is cut off instead of written to (`SseWatchers.broadcast`).
 */
import type { JobEvent } from "../../shared/protocol.ts";
import { replayStep } from "./event-log.ts";
import { DEFAULT_KEEPALIVE_SECONDS } from "./keepalive-setting.ts";

const encoder = new TextEncoder();

/** 64 KiB queued before `ready` waits: a few pages' worth of headers, well under one replay page. */
const HIGH_WATER_BYTES = 64 * 1024;
/** 4 MiB behind on live events: a reader that slow is better served by a reconnect and a paged replay. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
/**
 * 32 MiB: what all of one feed's SSE streams may hold queued together — eight streams at MAX_BACKLOG_BYTES, and a
 * quarter of the 128 MB a Workers isolate has (shared with every other object in it). The per-stream limit alone
 * let MAX_WATCHERS stalled readers of one chatty job hold 1 GiB, past the isolate's memory limit: its reset dropped
 * every feed and call in the isolate, not only the job's.
 */
export const FEED_BACKLOG_BYTES = 32 * 1024 * 1024;
/** Why a stream is cut off when the feed's streams together hold FEED_BACKLOG_BYTES. */
const FEED_FULL = "too far behind while this job's feed holds its most for slow readers: reconnect with Last-Event-ID";

/**
 * One event as an SSE frame. `data` is JSON, which escapes every line break; `event:` is the bare type, so a CR or
 * LF in it (the feed's append takes any string) would end the field and let the rest inject fields or frames of its
 * own: they are written as spaces there. The exact type is in `data`, which readers take it from (cli/sse).
 */
export function sseEvent(e: JobEvent): Uint8Array {
  return encoder.encode(`id: ${e.seq}\nevent: ${e.type.replace(/[\r\n]/g, " ")}\ndata: ${JSON.stringify(e)}\n\n`);
}

/** A comment line: keeps proxies from closing an idle stream. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`);
}

export class SseClient {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  closed = false;
  /** Last seq written: the replay cursor, then the live position. */
  through: number;
  live = false;
  /**
   * Settles when the stream is gone for good: drained to its end after `end`, or broken. Until then what it queued
   * (up to MAX_BACKLOG_BYTES) is still held, `closed` or not.
   */
  readonly gone: Promise<void>;
  private drained = false;
  /** Bytes ever written: what the reader took is this less `queued`. */
  private written = 0;
  /** What the reader had taken at the last keep-alive check (-1: none yet). */
  private takenAtCheck = -1;

  constructor(writable: WritableStream<Uint8Array>, after: number) {
    this.writer = writable.getWriter();
    this.through = after;
    const done = () => {
      this.closed = true;
      this.drained = true;
    };
    this.gone = this.writer.closed.then(done, done);
  }

  /** Bytes written and not yet taken by the reader (0 once the stream is gone). */
  get queued(): number {
    if (this.drained) return 0;
    return Math.max(0, HIGH_WATER_BYTES - (this.writer.desiredSize ?? HIGH_WATER_BYTES));
  }

  /** Resolves when the reader has drained the queue below the high-water mark (or the stream closed). */
  ready(): Promise<void> {
    return this.writer.ready.catch(() => {
      this.closed = true;
    });
  }

  write(chunk: Uint8Array): void {
    if (this.closed) return;
    this.written += chunk.byteLength;
    this.writer.write(chunk).catch(() => {
      this.closed = true;
    });
    if ((this.writer.desiredSize ?? 0) < HIGH_WATER_BYTES - MAX_BACKLOG_BYTES) {
      this.end("too far behind: reconnect with Last-Event-ID to resume");
    }
  }

  /**
   * Whether the reader took nothing since the last check while bytes waited for it (called once per keep-alive, so
   * it has been at least a keep-alive interval): a client that went away, or one whose socket stopped taking bytes. A reader
   * on a quiet job takes each keep-alive at once, and a slow one takes some; neither is stalled.
   */
  stalled(): boolean {
    const queued = this.queued;
    const taken = this.written - queued;
    const stuck = queued > 0 && taken === this.takenAtCheck;
    this.takenAtCheck = taken;
    return stuck;
  }

  /** Error the stream, dropping what it holds once its write in flight is taken: for a reader that no longer reads. */
  abort(why: string): void {
    this.closed = true;
    this.writer.abort(new Error(why)).catch(() => {});
  }

  /** End the stream after what was written, with `why` as a last comment: the client sees the response finish. */
  end(why: string): void {
    if (this.closed) return;
    this.writer.write(sseComment(why)).catch(() => {});
    this.closed = true;
    this.writer.close().catch(() => {});
  }
}

/** The SSE watchers of one JobFeed: paged replay under backpressure, then live. */
export class SseWatchers {
  readonly clients = new Set<SseClient>();
  /** Every stream not yet `gone`: the live ones and those ended but still holding their backlog for a slow reader. */
  readonly held = new Set<SseClient>();
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  /** `keepAliveMs`: ms between keep-alive rounds (`ping`): FEED_KEEPALIVE_SECONDS (feed/keepalive-setting). */
  constructor(readonly keepAliveMs = DEFAULT_KEEPALIVE_SECONDS * 1000) {}

  /**
   * The streams the watcher cap counts: an ended stream counts until its reader drained it. Counting only `clients`
   * (dropped when a stream is ended), a reader cut off for being too far behind opened a new stream at once while
   * the old one still held its backlog: stalled readers added MAX_BACKLOG_BYTES each, past any cap.
   */
  get count(): number {
    return this.held.size;
  }

  /** Bytes all of this feed's streams hold queued for their readers, ended streams not yet drained included. */
  backlog(): number {
    let total = 0;
    for (const c of this.held) total += c.queued;
    return total;
  }

  /** A stream resuming after `after` (`onOpen` sees its client first); the replay runs in the background at the reader's pace. */
  open(sql: SqlStorage, after: number, onOpen?: (client: SseClient) => void): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(
      undefined,
      new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
    );
    const client = new SseClient(writable, after);
    client.write(sseComment(`job feed, resuming after ${after}`));
    this.clients.add(client);
    this.held.add(client);
    void client.gone.then(() => this.held.delete(client));
    onOpen?.(client);
    this.keepAlive ??= setInterval(() => this.ping(), this.keepAliveMs);
    void this.replay(sql, client);
    return readable;
  }

  private async replay(sql: SqlStorage, client: SseClient): Promise<void> {
    while (!client.closed) {
      await client.ready();
      if (client.closed) break;
      // From here to `live = true` there is no await: no append can fall between the last page and going live.
      const step = replayStep(sql, client.through);
      for (const event of step.page) client.write(sseEvent(event));
      client.through = step.through;
      if (step.end) {
        client.live = true;
        return;
      }
    }
    this.prune();
  }

  /**
   * Live events written to every live stream. Once the feed's streams together would hold more than
   * FEED_BACKLOG_BYTES, a stream that was behind before this broadcast (more than the high-water mark queued) is cut
   * off instead of written to: stalled readers stop growing, while one that keeps up still gets the whole batch
   * (a batch is written in one step, so mid-batch every reader looks behind). A replay needs no such check: it
   * writes a page only once its reader has drained the last (`ready`).
   */
  broadcast(events: readonly JobEvent[]): void {
    let backlog = this.backlog();
    const behind = new Set([...this.clients].filter((c) => c.queued > HIGH_WATER_BYTES));
    for (const event of events) {
      const chunk = sseEvent(event);
      for (const c of this.clients) {
        if (!c.live || c.closed) continue; // still replaying: it reads this event from the log
        if (behind.has(c) && backlog + chunk.byteLength > FEED_BACKLOG_BYTES) {
          c.end(FEED_FULL);
          continue;
        }
        c.write(chunk);
        c.through = event.seq;
        backlog += chunk.byteLength;
      }
    }
    this.prune();
  }

  /** Close every stream (feed pruned, access revoked). */
  closeAll(why: string): void {
    for (const c of this.clients) c.end(why);
    this.prune();
  }

  /**
   * Every `keepAliveMs`: a stream whose reader took nothing since the last ping is dropped, its slot and backlog freed;
   * the others get a keep-alive. The runtime does not always tell a stream its client went away (workerd#6832: a
   * client disconnect no longer cancels a response body), so a disconnected watcher's stream stayed open, unread,
   * and kept its watcher slot until 4 MiB of keep-alives had queued — on a quiet job never: 256 reconnects of one
   * flaky client closed the job's feed to every watcher. Ended streams not yet drained are checked too.
   */
  private ping(): void {
    for (const c of this.held) {
      if (!c.stalled()) {
        c.write(sseComment("keep-alive"));
        continue;
      }
      // Uncounted at once: an abort waits for the write in flight, which a reader that is gone never takes, so
      // `gone` may never settle. What the stream held is garbage once the runtime has dropped its side too.
      c.abort("the reader took nothing for a keep-alive interval");
      this.held.delete(c);
    }
    this.prune();
  }

  private prune(): void {
    for (const c of this.clients) if (c.closed) this.clients.delete(c);
    if (this.clients.size === 0 && this.held.size === 0 && this.keepAlive !== undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }
}
