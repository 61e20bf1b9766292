// feed.js — one job's live event feed: a ticket (POST …/events/ticket, because browsers
// cannot send headers on a WebSocket), then the WebSocket …/events/ws?after=<lastSeq>;
// on a drop it reconnects with exponential backoff and resumes after the last seq seen,
// so every event arrives once and in order. A long log is replayed in pages: after each
// `page` frame the client sends "more <its token>" (the server sends nothing ahead of the reader). A socket that goes silent
// without closing (a dropped network path, a sleeping laptop, an idle proxy) is found by "ping": no frame at all
// (not even "pong") between two pings and the feed reconnects, instead of saying "live" over a dead socket.

import { ApiError, api, jobPath, socketUrl } from "./api.js";

/** @typedef {{ seq: number, type: string, at: number, data: Record<string, any> }} JobEvent */
/** @typedef {"connecting" | "live" | "reconnecting" | "stopped"} FeedState */

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** How often a live socket is pinged; one interval with nothing heard means it is dead. */
const PING_EVERY_MS = 15_000;

export class JobFeedClient {
  /**
   * @param {import("./api.js").Session} session
   * @param {string} jobId
   * @param {{ onEvent: (e: JobEvent) => void, onState: (s: FeedState, detail: string) => void }} handlers
   */
  constructor(session, jobId, handlers) {
    this.session = session;
    this.jobId = jobId;
    this.handlers = handlers;
    /** Highest seq delivered to onEvent: the resume point. */
    this.lastSeq = 0;
    this.backoff = MIN_BACKOFF_MS;
    this.stopped = false;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pinger = undefined;
    /** Whether the current socket sent anything since the last ping. */
    this.heard = false;
    /** The state of the socket being opened, which a long replay's progress is reported under. @type {FeedState} */
    this.phase = "connecting";
  }

  start() {
    void this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    this.ws?.close(1000, "view closed");
    this.ws = null;
    this.handlers.onState("stopped", "");
  }

  async connect() {
    if (this.stopped) return;
    this.phase = this.lastSeq ? "reconnecting" : "connecting";
    this.handlers.onState(this.phase, "");
    let ticket;
    try {
      ({ ticket } = await api(this.session, `${jobPath(this.jobId)}/events/ticket`, { method: "POST" }));
    } catch (err) {
      // 401/403/404 will not get better by retrying.
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
        this.handlers.onState("stopped", err.readable);
        return;
      }
      this.retry(err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.stopped) return;
    const path = `/api/v1/products/${encodeURIComponent(this.session.product)}${jobPath(this.jobId)}/events/ws`;
    const url = socketUrl(`${path}?after=${this.lastSeq}&ticket=${encodeURIComponent(ticket)}`);
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (msg) => {
      this.heard = true;
      this.onFrame(msg.data);
    };
    ws.onopen = () => this.watch(ws);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      this.retry("connection closed");
    };
  }

  /** Ping `ws` while it is the feed's socket; one interval with nothing heard closes it and reconnects. @param {WebSocket} ws */
  watch(ws) {
    clearInterval(this.pinger);
    this.heard = true;
    this.pinger = setInterval(() => {
      if (this.ws !== ws) return;
      if (!this.heard) {
        clearInterval(this.pinger);
        this.ws = null; // its close event, whenever it comes, is no longer this feed's
        ws.close(1000, "silent");
        this.retry(`no answer for ${PING_EVERY_MS / 1000} s`);
        return;
      }
      this.heard = false;
      ws.send("ping");
    }, PING_EVERY_MS);
  }

  /** @param {unknown} raw */
  onFrame(raw) {
    if (typeof raw !== "string") return;
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return; // "pong" or noise
    }
    if (frame?.type === "page") {
      // A long log replays a page at a time: ask for the next once this one is read, with this page's token. The
      // page draws a replay when it ends (timeline.js): until then it says how far it is.
      this.ws?.send(`more ${frame.token}`);
      const n = (/** @type {unknown} */ x) => (typeof x === "number" ? x.toLocaleString("en-US") : "?");
      this.handlers.onState(this.phase, `read ${n(frame.through)} of ${n(frame.lastSeq)} events`);
    } else if (frame?.type === "ready") {
      this.backoff = MIN_BACKOFF_MS;
      this.handlers.onState("live", `after seq ${frame.lastSeq}`);
    } else if (frame?.type === "event" && frame.event && typeof frame.event.seq === "number") {
      if (frame.event.seq <= this.lastSeq) return; // already shown before a reconnect
      this.lastSeq = frame.event.seq;
      this.handlers.onEvent(frame.event);
    }
  }

  /** @param {string} why */
  retry(why) {
    if (this.stopped) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.handlers.onState("reconnecting", `${why}; retrying in ${Math.round(wait / 1000)} s`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), wait);
  }
}
