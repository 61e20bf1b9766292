/**
 * @module cli/sse
 * A pure, incremental parser for Server-Sent Events (the WHATWG "event stream
 * interpretation"): feed it text chunks as they arrive — split anywhere, even
 * inside a line or a CRLF — and it hands back each complete frame. Then
 * `toJobEvent` reads a frame of the job feed (`data: {seq,type,at,data}`).
 */
import { utf8Bytes } from "../core/bytes.ts";
import type { JobEvent } from "../shared/http-client.ts";
import { CliError } from "./errors.ts";

export interface SseFrame {
  /** The `id:` of this frame, if it had one. */
  id?: string;
  /** `event:`, or "message" when absent (the spec's default). */
  event: string;
  data: string;
}

export interface SseParser {
  /**
   * Parses `chunk`; returns the frames it completed.
   * @throws CliError bad_response — the frame being read (its unfinished line and data so far) passed `maxBytes`
   */
  push(chunk: string): SseFrame[];
  /**
   * The text of the last comment line (`: text`, without the colon and one space) read since the last frame, or
   * undefined: the job feed's last words before it ends a stream are a comment saying why (feed/sse `end`).
   */
  lastComment(): string | undefined;
}

/**
 * 16 MiB of UTF-8 in one frame: far past any event the coordinator writes (a factory frame, log lines and all, is at
 * most 256 KiB, and a reader 4 MiB behind is cut off), so only a stream that is not a job feed reaches it — one that
 * never ends a line or a frame, which the parser would otherwise hold in memory without bound.
 */
export const MAX_SSE_FRAME_BYTES = 16 * 1024 * 1024;

export function createSseParser(maxBytes = MAX_SSE_FRAME_BYTES): SseParser {
  // The unfinished line is kept as the chunks' pieces, not re-joined per chunk: each chunk is scanned once, so an
  // event split at every byte costs linear time (re-scanning a growing buffer made it quadratic).
  let pending: string[] = [];
  let pendingBytes = 0;
  let data: string[] = [];
  let dataBytes = 0; // UTF-8 bytes of `data` joined, a newline counted per line (so empty lines count too)
  let event = "";
  let id: string | undefined;
  let sawCr = false; // a chunk ended in "\r": a "\n" opening the next one belongs to that line ending
  let comment: string | undefined;

  const tooLarge = (): never => {
    throw new CliError(
      "bad_response",
      `the job feed sent a frame over ${maxBytes} bytes without ending it, more than any event the coordinator writes`,
      "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service",
    );
  };

  const line = (text: string, out: SseFrame[]): void => {
    if (text === "") {
      if (data.length > 0) {
        out.push({ ...(id !== undefined ? { id } : {}), event: event || "message", data: data.join("\n") });
        comment = undefined;
      }
      data = [];
      dataBytes = 0;
      event = "";
      id = undefined;
      return;
    }
    if (text.startsWith(":")) {
      // A comment: servers send these as keep-alives, and the job feed its reason for ending a stream.
      comment = text.slice(text.startsWith(": ") ? 2 : 1);
      return;
    }
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      data.push(value);
      dataBytes += utf8Bytes(value) + 1;
      if (dataBytes > maxBytes) tooLarge();
    } else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    // `retry:` and unknown fields are ignored: reconnect timing is ours (capped backoff), not the server's.
  };

  return {
    push(chunk) {
      const out: SseFrame[] = [];
      // An empty chunk (a read that decoded to nothing: a lone byte of a longer character) says nothing about the
      // "\r" before it: forgetting it there split the CRLF around it into two line endings.
      if (chunk === "") return out;
      let start = sawCr && chunk.startsWith("\n") ? 1 : 0;
      sawCr = false;
      for (let i = start; i < chunk.length; i++) {
        const c = chunk[i];
        if (c !== "\n" && c !== "\r") continue;
        const piece = chunk.slice(start, i);
        const text = pending.length === 0 ? piece : pending.join("") + piece;
        pending = [];
        pendingBytes = 0;
        line(text, out);
        if (c === "\r") {
          if (i + 1 === chunk.length) sawCr = true;
          else if (chunk[i + 1] === "\n") i++;
        }
        start = i + 1;
      }
      if (start < chunk.length) {
        const rest = chunk.slice(start);
        pending.push(rest);
        pendingBytes += utf8Bytes(rest);
        if (pendingBytes + dataBytes > maxBytes) tooLarge();
      }
      return out;
    },
    lastComment: () => comment,
  };
}

/**
 * Levels of arrays and objects an event's `data` may nest: a log event's is 3 (`lines[i].text`), no event the
 * coordinator writes comes near it. Printing an event walks its data by recursion (`k=v` pairs as JSON, each event a
 * JSON line under --json), and data nested some thousands deep — JSON.parse reads it readily — crashed the watch as
 * `✘ ERROR internal: Maximum call stack size exceeded / this is a CLI bug`.
 */
export const MAX_EVENT_DATA_LEVELS = 64;

/** Whether `value` nests arrays and objects at most `maxLevels` deep, measured without recursion. Pure. */
export function withinLevels(value: unknown, maxLevels = MAX_EVENT_DATA_LEVELS): boolean {
  const pending: Array<{ v: unknown; level: number }> = [{ v: value, level: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.v !== "object" || next.v === null) continue;
    if (next.level > maxLevels) return false;
    for (const v of Object.values(next.v))
      if (typeof v === "object" && v !== null) pending.push({ v, level: next.level + 1 });
  }
  return true;
}

/**
 * A job-feed frame as a JobEvent; undefined for anything else (pings, malformed data, data nested past
 * MAX_EVENT_DATA_LEVELS) — the feed skips those.
 */
export function toJobEvent(frame: SseFrame): JobEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame.data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const p = parsed as Record<string, unknown>;
  const seq = typeof p.seq === "number" ? p.seq : Number(frame.id);
  const type = typeof p.type === "string" ? p.type : frame.event;
  if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
  const data = typeof p.data === "object" && p.data !== null ? (p.data as Record<string, unknown>) : {};
  if (!withinLevels(data)) return undefined;
  return { seq, type, at: typeof p.at === "number" ? p.at : Number.NaN, data };
}
