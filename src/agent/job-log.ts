/**
 * @module agent/job-log
 * One run's log: every line goes to a file on disk (its last 25 MiB uploaded as the `log.txt` artifact at the end,
 * so nothing is lost while the socket was down) and into the log batcher that streams it to the coordinator as
 * `progress.logs`. stderr and agent lines are marked in the file (and a stdout line that would read as marked); the
 * feed carries the stream name instead. The file
 * is bounded (`segmentBytes`): a runaway engine filled the state dir's disk.
 */
import {
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import path from "node:path";
import { counted } from "../core/counted.ts";
import { LogBatcher, type LogLine, type LogStream } from "./log-batcher.ts";

/** 25 MiB: the coordinator's artifact limit; a longer log keeps its end, where failures are. */
export const MAX_LOG_ARTIFACT_BYTES = 25 * 1024 * 1024;

/**
 * Why two segments of the artifact's size: the upload keeps only the last MAX_LOG_ARTIFACT_BYTES, so that is all the
 * file must hold. Past a segment's size the file is renamed to `<file>.1` (replacing the one before) and a new one
 * begun: the last segment plus the one filling always hold that tail, on at most 2 × 25 MiB of disk, and a rename
 * costs nothing — where cutting the file down to its tail in place copies 25 MiB each time, and stopping the file at
 * its cap keeps the head and loses the end, where failures are. The feed gets every line unless the engine floods it
 * (agent/log-batcher: the lines over its rate are counted in a note there, and are here).
 */
const SEGMENT_BYTES = MAX_LOG_ARTIFACT_BYTES;

/**
 * A stdout line that would read as a marked one — `[agent] engine exited (code 0)…` printed by the engine, also behind
 * what is not seen (blanks, control and zero-width characters, a colour escape like `ESC[0m`) — is marked `[stdout] `:
 * so a line that reads `[agent] ` in the file is the agent's own, and an engine cannot forge a budget stop or an exit.
 */
const LOOKS_MARKED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: invisible characters are exactly what may precede a forgery
  /^(?:\u001b\[[0-?]*[ -/]*[@-~]|[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff])*\[(?:agent|stderr|stdout)\]/;

export class JobLog {
  readonly file: string;
  private stream: WriteStream;
  private readonly batcher: LogBatcher;
  private readonly closing: Promise<void>[] = [];
  /** The last few stderr lines, for a failure message that says why. */
  private readonly tail: string[] = [];
  private readonly segmentBytes: number;
  /** Bytes in the file being written (its size when an earlier agent process left it: a restart appends). */
  private written: number;
  /** Bytes in `<file>.1`, counted as written: its stream may not have flushed them yet. */
  private olderBytes: number;
  /** Bytes rotated out of both segments by this process: the note on a cut log counts them. */
  private dropped = 0;
  private isClosed = false;

  /** `file`: where the log goes; `send`: the feed's batches; `opts.segmentBytes` (bytes): the rotation size. */
  constructor(file: string, send: (lines: LogLine[]) => void, opts: { segmentBytes?: number } = {}) {
    this.file = file;
    this.segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES;
    mkdirSync(path.dirname(file), { recursive: true });
    this.written = sizeOf(file);
    this.olderBytes = sizeOf(this.older());
    this.stream = this.open();
    this.batcher = new LogBatcher({ flush: send });
  }

  /** Opened now, not on the next tick as by path: a rotation must move the very file this stream writes to. */
  private open(): WriteStream {
    let fd: number | undefined;
    try {
      fd = openSync(this.file, "a");
    } catch {
      /* opened by path, its error ignored below */
    }
    const stream = createWriteStream(this.file, fd === undefined ? { flags: "a" } : { fd });
    this.closing.push(new Promise((resolve) => stream.once("close", () => resolve())));
    stream.on("error", () => {}); // a full disk must not kill the run; the feed still has the lines
    return stream;
  }

  /** The file is full: it becomes `<file>.1` (its stream, renamed with it, finishes there) and a new one starts. */
  private rotate(): void {
    try {
      renameSync(this.file, this.older());
    } catch {
      return; // not renamed (the disk, a test's hand): keep writing where it was, as before a cap
    }
    this.stream.end();
    this.stream = this.open();
    this.dropped += this.olderBytes;
    this.olderBytes = this.written;
    this.written = 0;
  }

  private older(): string {
    return `${this.file}.1`;
  }

  write(stream: LogStream, text: string): void {
    const prefix = stream !== "stdout" ? `[${stream}] ` : LOOKS_MARKED.test(text) ? "[stdout] " : "";
    const line = `${prefix}${text}\n`;
    if (this.written >= this.segmentBytes) this.rotate();
    if (this.stream.writable) {
      this.stream.write(line);
      this.written += Buffer.byteLength(line);
    }
    this.batcher.add(stream, text);
    if (stream === "stderr" && text.trim() !== "") {
      this.tail.push(text.trim());
      if (this.tail.length > 3) this.tail.shift();
    }
  }

  /** The last stderr line, for "engine exited with code 1: <why>". */
  lastError(): string | undefined {
    return this.tail[this.tail.length - 1];
  }

  /** Send pending lines now (before a report, so the feed has them first). */
  flush(): void {
    this.batcher.flush();
  }

  /** Whether `close` was called: its last lines are sent, the file is complete (agent/seat-run-end ships it once). */
  get closed(): boolean {
    return this.isClosed;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.batcher.close();
    if (!this.stream.closed) this.stream.end();
    await Promise.all(this.closing);
  }

  /**
   * The log for upload, keeping the end when it is over the artifact limit (failures are at the end): the ends of
   * `<file>.1` and the file, in that order. Only that end is read: a runaway engine's log can be gigabytes (one made
   * before the cap, or cut by hand), and reading it whole threw past 2 GiB (the run then ended with no report).
   */
  text(): string {
    const keep = MAX_LOG_ARTIFACT_BYTES - 200; // room for the note, in bytes
    const newer = tailOf(this.file, keep);
    const older = tailOf(this.older(), keep - newer.bytes.length);
    const size = older.size + newer.size;
    const body = Buffer.concat([older.bytes, newer.bytes]).toString("utf8");
    const cut = this.dropped + size - older.bytes.length - newer.bytes.length;
    return cut > 0 ? `[agent] log truncated: first ${counted(cut, "byte")} dropped\n${body}` : body;
  }

  remove(): void {
    rmSync(this.file, { force: true });
    rmSync(this.older(), { force: true });
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // not there
  }
}

/** The last `max` bytes of `file` (none when it is missing) and its size, bytes. */
function tailOf(file: string, max: number): { bytes: Buffer; size: number } {
  const size = sizeOf(file);
  const want = Math.max(0, Math.min(size, max));
  if (want === 0) return { bytes: Buffer.alloc(0), size };
  if (size <= max) return { bytes: readFileSync(file), size };
  const tail = Buffer.alloc(want);
  const fd = openSync(file, "r");
  let got = 0;
  try {
    for (let n = 1; got < want && n > 0; got += n) n = readSync(fd, tail, got, want - got, size - want + got);
  } finally {
    closeSync(fd);
  }
  return { bytes: tail.subarray(0, got), size };
}
