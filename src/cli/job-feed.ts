/**
 * @module cli/job-feed
 * Follows one job's live event feed (SSE) across disconnects: every
 * (re)connection asks for the events after the last `seq` delivered, and any
 * event at or below it is dropped, so the caller sees each event once, in
 * order, however often the connection breaks (SPEC §4.5). Reconnects use the
 * shared capped exponential backoff, waiting at least what a refusal names (`retryAfterSeconds`: the job's watcher
 * cap, a 429, is full only while other watchers hold it); any other 4xx is final — no reconnect can fix a bad token
 * or a missing job — and so is a 2xx that is not an event stream. A feed silent for 45 s (the server writes a
 * keep-alive comment every 15 s, 30 at most, so the connection is dead even if its socket is not: a proxy or NAT that
 * dropped it without a reset) is reopened the same way; an answer that does not start in time is retried too — once
 * the coordinator has answered: before that (`unanswered`), no answer is said at once, as every command says it.
 * A stream the feed ended on purpose (a reader too far behind, a purge) is reconnected naming the reason it gave.
 */
import { retryAfterSeconds } from "../core/backoff.ts";
import { afterPoll } from "../shared/after-poll.ts";
import {
  ApiError,
  type Backoff,
  backoffMs,
  ConnectionError,
  type GigafactoryClient,
  type JobEvent,
  ResponseTimeoutError,
  sleep,
} from "../shared/http-client.ts";
import { closingReason, feedGaveUp, notAnEventStream, type ReadOutcome } from "./feed-stream.ts";
import { createSseParser, toJobEvent } from "./sse.ts";

/** 30 tries from 250 ms to 10 s apart: a watcher rides out ~5 minutes of coordinator outage before giving up. */
export const FEED_BACKOFF: Readonly<Backoff> = {
  maxAttempts: 30,
  minDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

/** A stream open this long was healthy even without events: the next failure starts the backoff over. */
const HEALTHY_CONNECTION_MS = 5_000;

/** The longest wait a refusal's `retryAfterSeconds` is taken for: past it the backoff's own attempts decide. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * The wait a refusal names (its problem's `retryAfterSeconds`, which the feed's 429 carries beside `Retry-After`;
 * else its own answer's Retry-After, read at `now` (ms): a proxy's 429 or 503 carries no problem — a proxy's 429
 * that said "60" was retried at the backoff's 250 ms and given up in a minute) in ms, stretched by up to the
 * backoff's jitter — never shortened: every watcher refused together must not come back together — and capped at
 * MAX_RETRY_AFTER_MS; 0 when it names none.
 */
export function retryAfterMs(err: unknown, b: Backoff, random: () => number, now: number): number {
  if (!(err instanceof ApiError)) return 0;
  const body = typeof err.body === "object" && err.body !== null ? (err.body as Record<string, unknown>) : {};
  const waits = err.status === 429 || err.status === 503;
  const header = waits ? retryAfterSeconds(err.retryAfter, now) : undefined;
  const s = body.retryAfterSeconds !== undefined ? body.retryAfterSeconds : header;
  if (typeof s !== "number" || !Number.isFinite(s) || s <= 0) return 0;
  return Math.round(Math.min(MAX_RETRY_AFTER_MS, s * 1000) * (1 + b.jitter * random()));
}

/** Three missed keep-alives (every 15 s by default, 30 at most: FEED_KEEPALIVE_SECONDS): nothing more will come. */
export const FEED_SILENCE_MS = 45_000;

export interface FollowOptions {
  /** Deliver events with `seq` greater than this (0 = from the start). */
  after: number;
  backoff?: Backoff;
  signal?: AbortSignal;
  /** Called once per new event, in `seq` order (awaited: the next waits for it); return true to stop following. */
  onEvent(event: JobEvent): boolean | undefined | Promise<boolean | undefined>;
  /**
   * Told of what the follower passed over without delivering: a frame that is not a job event, or a gap in the seqs
   * (the feed is gapless, so a gap is events retention purged — or lost — and a reader should know they are missing).
   */
  onSkipped?(note: string): void;
  /**
   * Called each time a stream opens, before any of its events is read, with the last seq delivered: return true to
   * stop following (the stream is closed). The feed's stream says nothing of events it will never send — a retention
   * purge closes every stream and empties the log, and a stream reopened after it replays nothing and stays open on
   * keep-alives — so a reader waiting for a seq it was told of must look for itself (watch's ended job). A transient
   * failure thrown here is retried like the connection's own.
   */
  onOpen?(last: number): boolean | undefined | Promise<boolean | undefined>;
  /** Told before each reconnect wait, so a terminal can say why it paused; `of`: the reconnects in a row it makes. */
  onRetry?(info: { attempt: number; of: number; delayMs: number; reason: string }): void;
  now?: () => number;
  /** Milliseconds without a byte (event or keep-alive) after which the connection is given up and reopened. */
  silenceMs?: number;
  /**
   * Nothing has answered the caller yet (`watch --follow`: the feed is its first read): until an answer comes, a
   * connection that fails or an answer that does not start in time (`isUnanswered`) is thrown at once, as every other
   * command ends on it — a wrong URL or port never heals, and 30 tries of it were ~5 silent minutes. Default false: a
   * feed that answered before is retried through an outage.
   */
  unanswered?: boolean;
}

/**
 * A failure another try may not meet: a 5xx, a 429 (the job's watcher cap, full for as long as a reconnect storm
 * lasts: it ended a watch at once), a connection that failed, an answer that did not start in time.
 */
export function isTransient(err: unknown): err is Error {
  return (
    (err instanceof ApiError && (err.status >= 500 || err.status === 429)) ||
    err instanceof ConnectionError ||
    err instanceof ResponseTimeoutError
  );
}

/**
 * A failure in which no answer came at all: the connection failed, or the answer did not start in time. Before any
 * answer it is said at once (`unreachable`, `timeout`), not retried: it is as likely a wrong URL as an outage.
 */
export function isUnanswered(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof ResponseTimeoutError;
}

/**
 * What a reader is told of the seqs strictly between `after` and `next` it never received: the feed is gapless, so
 * they are events retention purged (or lost). `after + 1 < next`, both seqs.
 */
export function missedNote(after: number, next: number): string {
  const missing = next === after + 2 ? `event ${after + 1} was` : `events ${after + 1}–${next - 1} were`;
  return `${missing} not received (retention purges an ended job's log)`;
}

/** Follows until `onEvent` says stop (resolves with the last seq) or the feed is lost for good (rejects). */
export async function followJobFeed(client: GigafactoryClient, jobId: string, opts: FollowOptions): Promise<number> {
  const backoff = opts.backoff ?? FEED_BACKOFF;
  const now = opts.now ?? Date.now;
  const state = { last: opts.after, delivered: false };
  let unanswered = opts.unanswered === true;
  for (let failures = 0; ; ) {
    // When this try's stream opened: only a stream that lasted counts as healthy, never a refusal that was slow to
    // come — timed from the request, a coordinator answering 503 after 5 s restarted the backoff each time, and the
    // watch retried it at the shortest wait, and for ever.
    let streamAt: number | undefined;
    state.delivered = false;
    let reason: string;
    let lastError: unknown;
    let waitAtLeastMs = 0;
    try {
      const res = await client.openEventStream(jobId, { after: state.last, signal: opts.signal });
      unanswered = false;
      notAnEventStream(res);
      streamAt = now();
      if (await opened(res, state.last, opts)) return state.last;
      const outcome = await readFeed(res, state, opts);
      if (outcome === "stopped") return state.last;
      reason = typeof outcome === "string" ? REASONS[outcome] : `the feed closed the stream: ${outcome.why}`;
    } catch (err) {
      if (opts.signal?.aborted) return state.last;
      // Still unanswered: the open itself failed. A refusal (a 5xx, a 429) is an answer: the coordinator is there.
      if (unanswered && isUnanswered(err)) throw err;
      unanswered = false;
      if (!isTransient(err)) throw err;
      reason = err.message;
      lastError = err;
      waitAtLeastMs = retryAfterMs(err, backoff, Math.random, now());
    }
    if (opts.signal?.aborted) return state.last;
    if (state.delivered || (streamAt !== undefined && now() - streamAt >= HEALTHY_CONNECTION_MS)) failures = 0;
    failures++;
    if (failures >= backoff.maxAttempts) throw feedGaveUp(jobId, lastError, reason, failures, state.last);
    const delayMs = Math.max(backoffMs(failures - 1, backoff), waitAtLeastMs);
    opts.onRetry?.({ attempt: failures, of: backoff.maxAttempts - 1, delayMs, reason });
    try {
      await sleep(delayMs, opts.signal);
    } catch {
      return state.last; // aborted while waiting
    }
  }
}

/**
 * `onOpen` asked of a stream just opened: true to stop. When it says stop, or throws, the stream is closed unread —
 * left open, its connection stayed up until the process exited.
 */
async function opened(res: Response, last: number, opts: FollowOptions): Promise<boolean> {
  if (!opts.onOpen) return false;
  let stop = true;
  try {
    stop = (await opts.onOpen(last)) === true;
    return stop;
  } finally {
    if (stop) res.body?.cancel().catch(() => {});
  }
}

const REASONS: Record<Exclude<ReadOutcome, "stopped" | { why: string }>, string> = {
  ended: "the feed closed",
  broken: "the connection broke",
  silent: "the feed went silent",
};

/** Reads one connection's frames; network errors end the read ("broken"), errors from `onEvent` propagate. */
async function readFeed(
  res: Response,
  state: { last: number; delivered: boolean },
  opts: FollowOptions,
): Promise<ReadOutcome> {
  if (!res.body) return "ended";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = createSseParser();
  const silenceMs = opts.silenceMs ?? FEED_SILENCE_MS;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array> | "silent";
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<"silent">((resolve) => {
        // After a poll (shared/after-poll): with the loop held past the silence, a frame already in the socket is read
        // first and wins the race; the feed was dropped as silent and opened again.
        timer = setTimeout(
          afterPoll(() => resolve("silent")),
          silenceMs,
        );
      });
      try {
        chunk = await Promise.race([reader.read(), silence]);
      } catch {
        return "broken";
      } finally {
        clearTimeout(timer);
      }
      if (chunk === "silent") return "silent"; // the finally below cancels the read and closes the connection
      if (chunk.done) return closingReason(parser.lastComment());
      for (const frame of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        const event = toJobEvent(frame);
        if (!event) {
          opts.onSkipped?.(`a frame that is not a job event was skipped (id ${JSON.stringify(frame.id ?? null)})`);
          continue;
        }
        if (event.seq <= state.last) continue; // a replayed event: already delivered
        if (event.seq > state.last + 1) opts.onSkipped?.(missedNote(state.last, event.seq));
        state.last = event.seq;
        state.delivered = true;
        if ((await opts.onEvent(event)) === true) return "stopped";
      }
    }
  } finally {
    reader.cancel().catch(() => {}); // closes the connection; nothing to do if it is already gone
  }
}
