// feed.js — one job's live event feed: a ticket (POST …/events/ticket, because browsers
// cannot send headers on a WebSocket), then the WebSocket …/events/ws?after=<lastSeq>;
// on a drop it reconnects with jittered exponential backoff — started over only after a socket that delivered an
// event or stayed open HEALTHY_MS — and resumes after the last seq seen, so every event arrives once and in order. A long log is replayed in pages: after each
// `page` frame the client sends "more <its token>" (the server sends nothing ahead of the reader). A socket that goes silent
// without closing (a dropped network path, a sleeping laptop, an idle proxy) is found by "ping": no frame at all
// (not even "pong") between two pings and the feed reconnects, instead of saying "live" over a dead socket. Every
// frame is checked against the shape the feed and the page read of it (FRAMES, answer-shape.js): one that is not is
// skipped and said once (`onNotice`), never a throw in `onmessage` that stopped the feed (an event whose `type` was
// not text threw in the job page's handler).

import { TICKET } from "./answers.js";
import { ApiError, api, jobPath, socketUrl } from "./api.js";
import { FRAMES, frameFault } from "./feed-frames.js";
import { inSeconds } from "./format.js";

/** @typedef {{ seq: number, type: string, at: number, data: Record<string, any> }} JobEvent */

/**
 * The type of the one event this client makes up itself: a gap, `data: { from, to }` (seqs, from ≤ to), handed to
 * `onEvent` in seq order (its `seq` is `to`) where the feed's seqs jump. A feed is gapless, so the seqs it skips are
 * events retention purged: after a jump, or below a `ready` whose `lastSeq` is past the last event received — the
 * empty replay of a purged log. No feed event has this type (shared/protocol FEED_EVENT_TYPES).
 */
export const FEED_GAP = "feed.gap";
/** @typedef {"connecting" | "live" | "reconnecting" | "stopped"} FeedState */

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** How often a live socket is pinged; one interval with nothing heard means it is dead. */
const PING_EVERY_MS = 15_000;
/** A socket open this long was healthy even without an event: the next drop starts the backoff over (cli/job-feed's rule). */
const HEALTHY_MS = 5000;

/**
 * The wait before a reconnect: a uniformly random point of the upper half of `backoffMs` ("equal jitter"). Every
 * page watching a job drops together when the server restarts; without jitter they all came back at the same
 * instants (1 s, 2 s, 4 s … later), each wave a storm of tickets and sockets at once.
 * @param {number} backoffMs the current backoff, ms
 * @param {() => number} random in [0, 1)
 * @returns {number} ms, in [backoffMs / 2, backoffMs]
 */
export function jittered(backoffMs, random) {
  return Math.round(backoffMs * (0.5 + 0.5 * random()));
}

export class JobFeedClient {
  /**
   * @param {import("./api.js").Session} session
   * @param {string} jobId
   * @param {{ onEvent: (e: JobEvent) => void, onState: (s: FeedState, detail: string) => void, onNotice?: (text: string) => void, onSkipped?: (seq: number) => void }} handlers
   *   `onNotice`: a frame the page could not read was skipped (said once per feed); `onSkipped`: an event the page
   *   could not read was skipped (each, by seq): what it changed is not known, as after a gap
   * @param {{ random?: () => number }} [opts] `random`: the jitter's source (tests pin it)
   */
  constructor(session, jobId, handlers, opts = {}) {
    this.session = session;
    this.jobId = jobId;
    this.handlers = handlers;
    /** Highest seq delivered to onEvent: the resume point. */
    this.lastSeq = 0;
    this.backoff = MIN_BACKOFF_MS;
    this.random = opts.random ?? Math.random;
    /** When the current socket opened (ms epoch), 0 before it does: how long it lasted decides whether it was healthy. */
    this.openedAt = 0;
    /** Whether the current socket delivered a new event: it was healthy, however short-lived. */
    this.delivered = false;
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
    /** Whether a skipped frame was said already: a feed of bad frames is one notice, not one per frame. */
    this.badSaid = false;
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
    this.openedAt = 0;
    this.delivered = false;
    this.handlers.onState(this.phase, "");
    let ticket;
    try {
      ({ ticket } = await api(this.session, `${jobPath(this.jobId)}/events/ticket`, {
        method: "POST",
        answer: TICKET,
      }));
    } catch (err) {
      // The coordinator's 401/403/404 will not get better by retrying. Another server's (a gateway's 403, a proxy's
      // bodiless 404 mid-deploy) says nothing of the job: it stopped the feed for good, the timeline frozen.
      if (err instanceof ApiError && !err.foreign && [401, 403, 404].includes(err.status)) {
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
    ws.onopen = () => {
      this.openedAt = Date.now();
      this.watch(ws);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      // The feed says why it closed a socket (a purge, a revoked token, a bad frame): shown, not "connection closed".
      const reason = typeof e?.reason === "string" ? e.reason.slice(0, 200) : "";
      this.retry(reason ? `closed by the feed: ${reason}` : "connection closed");
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
    const kind = frame?.type;
    if (typeof kind !== "string" || !Object.hasOwn(FRAMES, kind)) return; // a frame kind this page does not read
    const why = frameFault(frame);
    if (why) return this.skip(frame, why);
    if (kind === "page") {
      // A long log replays a page at a time: ask for the next once this one is read, with this page's token. The
      // page draws a replay when it ends (timeline.js): until then it says how far it is.
      this.ws?.send(`more ${frame.token}`);
      const n = (/** @type {unknown} */ x) => (typeof x === "number" ? x.toLocaleString("en-US") : "?");
      this.handlers.onState(this.phase, `read ${n(frame.through)} of ${n(frame.lastSeq)} events`);
    } else if (kind === "ready") {
      // The replay's end: what it did not send up to `lastSeq` (read in the same step as its last page) is gone.
      if (typeof frame.lastSeq === "number" && frame.lastSeq > this.lastSeq) this.gap(frame.lastSeq);
      // Not a reason to start the backoff over: a socket closed right after `ready`, again and again, was reopened
      // every second for as long as it went on. What the socket delivers, or how long it lasts, decides (`retry`).
      this.handlers.onState("live", `after seq ${frame.lastSeq}`);
    } else {
      if (frame.event.seq <= this.lastSeq) return; // already shown before a reconnect
      if (frame.event.seq > this.lastSeq + 1) this.gap(frame.event.seq - 1);
      this.lastSeq = frame.event.seq;
      this.delivered = true;
      this.handlers.onEvent(frame.event);
    }
  }

  /**
   * A frame the page cannot read: skipped, and said the first time. An event whose seq can be read still moves the
   * resume point past it, so the next event is not drawn as a purged gap, nor the bad one asked for again.
   * @param {any} frame @param {string} why
   */
  skip(frame, why) {
    const seq = frame.type === "event" ? frame.event?.seq : undefined;
    if (Number.isSafeInteger(seq) && seq > this.lastSeq) {
      if (seq > this.lastSeq + 1) this.gap(seq - 1);
      this.lastSeq = seq;
      this.handlers.onSkipped?.(seq);
    }
    if (this.badSaid) return;
    this.badSaid = true;
    const which = Number.isSafeInteger(seq) ? ` (seq ${seq})` : "";
    this.handlers.onNotice?.(
      `The job feed sent ${frame.type === "event" ? "an" : "a"} ${frame.type} frame${which} this page cannot read — ${why}: it was skipped, as any more like it will be (are the dashboard and the coordinator one version?).`,
    );
  }

  /**
   * Tell `onEvent` the seqs after the last one delivered up to `to` will never come (a FEED_GAP event; cli/job-feed
   * `missedNote`'s rule), and resume after them: a reconnect does not ask for them, nor report them again. Not a
   * delivery: a socket that only said so was no healthier for it (`retry`).
   * @param {number} to the last seq missing
   */
  gap(to) {
    const from = this.lastSeq + 1;
    this.lastSeq = to;
    this.handlers.onEvent({ seq: to, type: FEED_GAP, at: Date.now(), data: { from, to } });
  }

  /**
   * Reconnect after a jittered wait; the backoff starts over first when the socket just lost was healthy (it
   * delivered an event, or stayed open HEALTHY_MS), and doubles up to MAX_BACKOFF_MS otherwise.
   * @param {string} why shown in the feed's state line
   */
  retry(why) {
    if (this.stopped) return;
    if (this.delivered || (this.openedAt > 0 && Date.now() - this.openedAt >= HEALTHY_MS))
      this.backoff = MIN_BACKOFF_MS;
    this.openedAt = 0;
    this.delivered = false;
    const wait = jittered(this.backoff, this.random);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.handlers.onState("reconnecting", `${why}; retrying ${inSeconds(wait)}`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), wait);
  }
}
