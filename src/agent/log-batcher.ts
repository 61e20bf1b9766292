/**
 * @module agent/log-batcher
 * Turns an engine's raw stdout/stderr chunks into protocol log lines and batches
 * them into `progress.logs` frames. One frame per line would cost the
 * coordinator a transaction each (≈ 1 ms over a socket, see TOOLCHAIN.md), so
 * lines wait up to 250 ms or until 200 of them are pending, whichever is first — and a flooding engine's (`yes` in a
 * job) frames are held to FEED_FRAMES_PER_S after a burst of FEED_BURST_FRAMES: one frame per few µs, each a
 * transaction of the product's coordinator and a row of the job's feed, kept the coordinator busy with one job's
 * output and grew the agent's socket buffer past any bound. The lines over it are not streamed, only counted in a note
 * (`agent` stream) where they would have been; the log file (agent/job-log, uploaded as `log.txt`) has every line.
 * The agent's own lines (a budget stop, the engine's exit) go past the rate: a handful a run, and what the feed's
 * reader most needs.
 */
import { splitUtf8, utf8Bytes } from "../core/bytes.ts";
import { counted } from "../core/counted.ts";
import { MAX_FRAME_BYTES, MAX_LOG_LINE_BYTES, MAX_LOG_LINES } from "../shared/protocol.ts";

export type LogStream = "stdout" | "stderr" | "agent";

export interface LogLine {
  stream: LogStream;
  text: string;
  at: number;
}

/** 250 ms: a human watching the feed sees output "live"; the coordinator sees ≤ 4 frames/s per job. */
export const FLUSH_INTERVAL_MS = 250;
/** 4 frames/s: one per FLUSH_INTERVAL_MS, sustained, what the interval promises the coordinator. */
export const FEED_FRAMES_PER_S = 1000 / FLUSH_INTERVAL_MS;
/**
 * 128 frames: a burst of up to 24 MiB (128 × MAX_BATCH_BYTES), about the log artifact's 25 MiB, streams whole — a test
 * run or a build printing thousands of lines at once loses none of them in the feed; only a sustained flood does.
 */
export const FEED_BURST_FRAMES = 128;

/**
 * Serialized size budget of one batch, in UTF-8 bytes: 200 lines of 12,000 bytes would be 2.4 MB, far
 * over the coordinator's 256 KiB frame limit, so a batch also closes at three quarters of it (the rest
 * is the frame's own fields and headroom).
 */
export const MAX_BATCH_BYTES = Math.floor(MAX_FRAME_BYTES * 0.75);
/** Per-line JSON overhead: `{"stream":"stderr","text":…,"at":1795432765509},`. */
const LINE_OVERHEAD = 48;

/**
 * 1 Mi UTF-16 units (at most 3 MiB of UTF-8): an unterminated line longer than this is emitted as is (then chopped
 * to protocol size for the log). Not smaller: an engine's report is one JSON line read whole (agent/engine-formats),
 * and Claude Code's `result` line carries the run's whole final message — cut at 16 KiB, as it was, its cost and
 * tokens were lost and the job's budget went unenforced. Bounded still: a spinner or a blob without newlines holds
 * at most this much per stream.
 */
export const MAX_PENDING_CHARS = 1024 * 1024;

/**
 * Splits a byte stream into lines across chunk boundaries; `\r\n` and lone `\r` (progress bars) end a line too.
 * Only each new chunk is searched: the unterminated line so far is kept in pieces, joined once when it ends. Joined
 * and searched again with every chunk, as it was, a line without a newline (an engine printing a 1 GB blob) cost a
 * read of up to MAX_PENDING_CHARS per 64 KiB chunk — about 8 ms of the agent's CPU each, 7 MB/s in all.
 */
export class LineSplitter {
  private parts: string[] = [];
  private pendingChars = 0;
  /** The last chunk ended in `\r`: the first half of a `\r\n` split across chunks, or a lone one — the next decides. */
  private cr = false;

  push(chunk: string): string[] {
    if (chunk === "") return [];
    const lines: string[] = [];
    let from = 0;
    if (this.cr) {
      this.cr = false;
      if (chunk.startsWith("\n")) from = 1;
      lines.push(this.take());
    }
    let lf = chunk.indexOf("\n", from);
    let cr = chunk.indexOf("\r", from);
    while (lf >= 0 || cr >= 0) {
      const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      this.add(chunk.slice(from, at));
      if (at === cr && at === chunk.length - 1) {
        this.cr = true; // held back until the next chunk says whether a `\n` follows
        from = chunk.length;
        break;
      }
      from = at === cr && lf === at + 1 ? at + 2 : at + 1; // `\r\n` is one line end
      lines.push(this.take());
      if (lf >= 0 && lf < from) lf = chunk.indexOf("\n", from);
      if (cr >= 0 && cr < from) cr = chunk.indexOf("\r", from);
    }
    this.add(chunk.slice(from));
    // An endless line (a binary blob, a spinner without newlines) must not grow without bound.
    if (this.pendingChars >= MAX_PENDING_CHARS) lines.push(this.take());
    return lines;
  }

  /** The unterminated tail, if any, once the stream has ended. */
  end(): string[] {
    this.cr = false;
    const tail = this.take();
    return tail === "" ? [] : [tail];
  }

  private add(piece: string): void {
    if (piece === "") return;
    this.parts.push(piece);
    this.pendingChars += piece.length;
  }

  /** The unterminated line so far, joined, and forgotten. */
  private take(): string {
    const line = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join("");
    this.parts = [];
    this.pendingChars = 0;
    return line;
  }
}

/**
 * One line → pieces of at most `maxBytes` UTF-8 bytes (the protocol refuses longer lines), cut only
 * between characters: a cut every N UTF-16 units could halve an emoji into two lone surrogates.
 */
export function chopLine(text: string, maxBytes: number = MAX_LOG_LINE_BYTES): string[] {
  return splitUtf8(text, maxBytes);
}

export interface LogBatcherOptions {
  /** Receives each full batch, in order; never an empty one. */
  flush: (lines: LogLine[]) => void;
  intervalMs?: number;
  maxLines?: number;
  now?: () => number;
  /** The clock the feed's rate is measured on (ms); Date.now by default. */
  clock?: () => number;
}

/** Collects lines and hands them to `flush` in batches bounded by time and size. */
export class LogBatcher {
  private pending: LogLine[] = [];
  private pendingBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly flushFn: (lines: LogLine[]) => void;
  private readonly intervalMs: number;
  private readonly maxLines: number;
  private readonly now: () => number;
  private readonly clock: () => number;
  private closed = false;
  /** Frames the feed may still send at once (a token bucket: FEED_FRAMES_PER_S, up to FEED_BURST_FRAMES). */
  private tokens = FEED_BURST_FRAMES;
  private tokensAt: number;
  /** Lines (and their UTF-8 bytes) over the rate since the last frame sent: the next frame's note counts them. */
  private skipped = { lines: 0, bytes: 0 };

  constructor(opts: LogBatcherOptions) {
    this.flushFn = opts.flush;
    this.intervalMs = opts.intervalMs ?? FLUSH_INTERVAL_MS;
    this.maxLines = Math.min(opts.maxLines ?? MAX_LOG_LINES, MAX_LOG_LINES);
    this.now = opts.now ?? Date.now;
    this.clock = opts.clock ?? Date.now;
    this.tokensAt = this.clock();
  }

  add(stream: LogStream, text: string): void {
    if (this.closed) return;
    const at = this.now();
    for (const piece of chopLine(text)) {
      // JSON bytes, not text length: escapes (\n, \u0000) and multi-byte characters make a line longer on the wire.
      const size = utf8Bytes(JSON.stringify(piece)) + LINE_OVERHEAD;
      const full = this.pendingBytes + size > MAX_BATCH_BYTES || this.pending.length >= this.maxLines;
      // The agent's own lines (a stop, the engine's exit: a handful a run) are never the flood: sent past the rate.
      if (full && !this.send(stream === "agent")) {
        this.skipped.lines++;
        this.skipped.bytes += utf8Bytes(piece);
        continue;
      }
      this.push({ stream, text: piece, at }, size);
      if (this.pending.length >= this.maxLines) this.send(false);
    }
    if (this.pending.length > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.timed(), this.intervalMs);
    }
  }

  /** Send whatever is pending now (also called at engine exit, before the report): not held to the rate. */
  flush(): void {
    this.send(true);
  }

  /** Flush and refuse further lines (a gap's note, when the flush made one, goes too). */
  close(): void {
    this.flush();
    this.flush();
    this.closed = true;
  }

  private push(line: LogLine, size: number): void {
    this.pending.push(line);
    this.pendingBytes += size;
  }

  /** The interval is over: send, or, with no frame left to send, wait for the next one. */
  private timed(): void {
    this.timer = undefined;
    if (!this.send(false) && this.pending.length > 0) this.timer = setTimeout(() => this.timed(), this.intervalMs);
  }

  /** The pending lines as one frame — within the rate unless `now` — then the gap's note first in the next. */
  private send(now: boolean): boolean {
    if (this.pending.length === 0) return true;
    if (!now) {
      const t = this.clock();
      this.tokens = Math.min(FEED_BURST_FRAMES, this.tokens + ((t - this.tokensAt) / 1000) * FEED_FRAMES_PER_S);
      this.tokensAt = t;
      if (this.tokens < 1) return false;
      this.tokens -= 1;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushFn(lines);
    if (this.skipped.lines > 0) {
      const { lines: n, bytes } = this.skipped;
      this.skipped = { lines: 0, bytes: 0 };
      const text = `${counted(n, "line")} (${counted(bytes, "byte")}) not streamed: the engine printed faster than the feed carries (${FEED_FRAMES_PER_S} frames/s after a burst of ${FEED_BURST_FRAMES}); the log file, uploaded as log.txt, has them`;
      this.push({ stream: "agent", text, at: this.now() }, utf8Bytes(JSON.stringify(text)) + LINE_OVERHEAD);
      if (this.timer === undefined) this.timer = setTimeout(() => this.timed(), this.intervalMs);
    }
    return true;
  }
}
