/**
 * @module agent/job-log
 * One run's log: every line goes to a file on disk (uploaded whole as the
 * `log.txt` artifact at the end, so nothing is lost while the socket was
 * down) and into the log batcher that streams it to the coordinator as
 * `progress.logs`. stderr and agent lines are marked in the file; the feed
 * carries the stream name instead.
 */
import {
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import path from "node:path";
import { LogBatcher, type LogLine, type LogStream } from "./log-batcher.ts";

/** 25 MiB: the coordinator's artifact limit; a longer log keeps its end, where failures are. */
export const MAX_LOG_ARTIFACT_BYTES = 25 * 1024 * 1024;

export class JobLog {
  readonly file: string;
  private readonly stream: WriteStream;
  private readonly batcher: LogBatcher;
  private readonly closed: Promise<void>;
  /** The last few stderr lines, for a failure message that says why. */
  private readonly tail: string[] = [];

  constructor(file: string, send: (lines: LogLine[]) => void) {
    this.file = file;
    mkdirSync(path.dirname(file), { recursive: true });
    this.stream = createWriteStream(file, { flags: "a" });
    this.closed = new Promise((resolve) => this.stream.once("close", () => resolve()));
    this.stream.on("error", () => {}); // a full disk must not kill the run; the feed still has the lines
    this.batcher = new LogBatcher({ flush: send });
  }

  write(stream: LogStream, text: string): void {
    const prefix = stream === "stdout" ? "" : `[${stream}] `;
    if (this.stream.writable) this.stream.write(`${prefix}${text}\n`);
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

  async close(): Promise<void> {
    this.batcher.close();
    if (!this.stream.closed) this.stream.end();
    await this.closed;
  }

  /**
   * The log for upload, keeping the end when it is over the artifact limit (failures are at the end). Only that end
   * is read: a runaway engine's log can be gigabytes, and reading it whole threw past 2 GiB (the run then ended with
   * no report) and held all of it in the agent's memory below that.
   */
  text(): string {
    const size = statSync(this.file).size;
    if (size <= MAX_LOG_ARTIFACT_BYTES) return readFileSync(this.file, "utf8");
    const keep = MAX_LOG_ARTIFACT_BYTES - 200; // room for the note, in bytes
    const tail = Buffer.alloc(keep);
    const fd = openSync(this.file, "r");
    let got = 0;
    try {
      for (let n = 1; got < keep && n > 0; got += n) n = readSync(fd, tail, got, keep - got, size - keep + got);
    } finally {
      closeSync(fd);
    }
    return `[agent] log truncated: first ${size - keep} bytes dropped\n${tail.subarray(0, got).toString("utf8")}`;
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}
