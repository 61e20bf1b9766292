/**
 * @module durable-objects/feed/ws-watchers
 * WebSocket watchers of a job feed (hibernation API): replay in pages the
 * watcher pulls with `more <token>`, then live. workerd's WebSocket has no
 * `bufferedAmount`, so the server cannot see a slow reader; making the reader
 * ask for each page, with the token only that page's frame carried, is what
 * bounds the replay in flight to one page per socket (feed/event-log
 * PAGE_EVENTS, PAGE_BYTES) instead of the whole log — a `more` sent ahead,
 * without the page it answers, names no page and is ignored.
 *
 * Live events are pushed as they come, and nothing bounds what a live socket
 * has not read: without `bufferedAmount` only the watcher can say what it has
 * taken, and today's live protocol has it say nothing (a `ping` proves nothing:
 * it is sent whether or not the reader reads). Bounding it needs a live
 * acknowledgement the dashboard sends — a protocol change, not made here.
 *
 * Gapless without locks: a socket's state is `{ through, live }` in its
 * attachment. A page read, its send and the switch to live happen in one
 * synchronous step, and appends are synchronous too, so an event appended
 * during a paged replay is either in a later page (socket not yet live) or
 * broadcast (socket live) — never both, never neither.
 */
import { type FeedFrame, type JobEvent, WatcherMessage } from "../../shared/protocol.ts";
import { replayStep } from "./event-log.ts";

/** The tag every watcher socket is accepted with. */
export const WATCHER_TAG = "watcher";

/** Close code for a watcher that sent something other than `ping` or `more <token>` (1003: unsupported data). */
export const CLOSE_UNSUPPORTED = 1003;

interface WatcherState {
  /** Last seq this socket was sent. */
  through: number;
  /** Replay finished: live events are pushed to it. */
  live: boolean;
  /** The token of the last page frame sent (while replaying): only `more <token>` gets the next page. */
  token?: string;
}

/** Per-instance cache of attachments, so a broadcast does not deserialize every socket's (rebuilt after hibernation). */
const cache = new WeakMap<WebSocket, WatcherState>();

function stateOf(ws: WebSocket): WatcherState {
  let s = cache.get(ws);
  if (!s) {
    s = (ws.deserializeAttachment() as WatcherState | null) ?? { through: 0, live: true };
    cache.set(ws, s);
  }
  return s;
}

function save(ws: WebSocket, s: WatcherState): void {
  cache.set(ws, s);
  ws.serializeAttachment(s);
}

function sendFrame(ws: WebSocket, frame: FeedFrame): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    /* closing; the runtime drops it */
  }
}

/** 64 random bits, hex: a page's token, which a watcher cannot guess, only read off the page frame. */
function pageToken(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Send the socket's next replay page, then `page` (more to come, and the token to ask with) or `ready` (now live). */
function sendPage(sql: SqlStorage, ws: WebSocket, s: WatcherState): void {
  const { page, through, lastSeq, end: live } = replayStep(sql, s.through);
  for (const event of page) sendFrame(ws, { type: "event", event });
  if (live) {
    save(ws, { through, live });
    sendFrame(ws, { type: "ready", lastSeq });
    return;
  }
  const token = pageToken();
  save(ws, { through, live, token });
  sendFrame(ws, { type: "page", through, lastSeq, token });
}

/** Accept `server` as a watcher replaying from `after` (`tags` must include WATCHER_TAG); its first page goes out at once. */
export function acceptWatcher(
  ctx: DurableObjectState,
  sql: SqlStorage,
  server: WebSocket,
  after: number,
  tags: string[] = [WATCHER_TAG],
): void {
  ctx.acceptWebSocket(server, tags);
  sendPage(sql, server, { through: after, live: false });
}

/**
 * A watcher's message: `ping` → `pong`; `more <token>` → the next page when `token` is the last page frame's
 * (ignored otherwise: once live, or sent again or ahead for a page already answered); anything else closes it.
 * Dropped once the feed has closed the socket (a bad frame, a revocation, a purge): the client sent it before it saw
 * the close, and a send or close on a closed socket throws — one uncaught exception in the feed per frame it sent.
 */
export function onWatcherMessage(sql: SqlStorage, ws: WebSocket, message: string | ArrayBuffer): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const parsed = WatcherMessage.safeParse(message);
  if (!parsed.success) {
    ws.close(CLOSE_UNSUPPORTED, 'send "ping", or "more <token>" with the token of the last page frame');
    return;
  }
  if (parsed.data.type === "ping") {
    ws.send("pong");
    return;
  }
  const s = stateOf(ws);
  if (!s.live && s.token !== undefined && parsed.data.token === s.token) sendPage(sql, ws, s);
}

/** Push appended events to every live watcher; those still replaying read them from the log later. */
export function broadcastToWatchers(ctx: DurableObjectState, events: readonly JobEvent[]): void {
  const live = ctx.getWebSockets(WATCHER_TAG).filter((ws) => stateOf(ws).live);
  if (live.length === 0) return;
  for (const event of events) {
    const frame = JSON.stringify({ type: "event", event } satisfies FeedFrame);
    for (const ws of live) {
      try {
        ws.send(frame);
      } catch {
        /* closing; the runtime drops it */
      }
    }
  }
}

/** Replay progress of each watcher socket (for the watcher cap, stats and tests). */
export function watcherStates(ctx: DurableObjectState): Array<{ through: number; live: boolean }> {
  return ctx.getWebSockets(WATCHER_TAG).map((ws) => {
    const { through, live } = stateOf(ws); // not its page token: that is the watcher's to read off its page frame
    return { through, live };
  });
}

/** Close every watcher socket (feed pruned, access revoked). */
export function closeWatchers(ctx: DurableObjectState, code: number, reason: string): void {
  for (const ws of ctx.getWebSockets(WATCHER_TAG)) {
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }
}
