/**
 * @module cli/sse
 * A pure, incremental parser for Server-Sent Events (the WHATWG "event stream
 * interpretation"): feed it text chunks as they arrive — split anywhere, even
 * inside a line or a CRLF — and it hands back each complete frame (at most
 * MAX_FRAME_BYTES each: a longer one is a `bad_response` CliError). Then
 * `toJobEvent` reads a frame of the job feed (`data: {seq,type,at,data}`).
 */
import { utf8Bytes } from "../core/bytes.ts";
import type { JobEvent } from "../shared/http-client.ts";
import { CliError } from "./errors.ts";

/**
 * The most a frame may hold before its blank line: 8 MiB of UTF-8, far above any job-feed event (an outbox record is
 * cut at 100 KiB). A stream that never ends its line or frame would else grow the reader's memory without bound.
 */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export interface SseFrame {
  /** The `id:` of this frame, if it had one. */
  id?: string;
  /** `event:`, or "message" when absent (the spec's default). */
  event: string;
  data: string;
}

export interface SseParser {
  /** Parses `chunk`; returns the frames it completed. */
  push(chunk: string): SseFrame[];
}

export function createSseParser(): SseParser {
  /** The unfinished line, in the pieces it came in. */
  let pending: string[] = [];
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  let sawCr = false; // a chunk ended in "\r": a "\n" opening the next one belongs to that line ending
  /** UTF-8 bytes of `pending` (the unfinished line) and of the frame's `data` lines so far. */
  let pendingBytes = 0;
  let dataBytes = 0;

  const line = (text: string, out: SseFrame[]): void => {
    if (text === "") {
      if (data.length > 0)
        out.push({ ...(id !== undefined ? { id } : {}), event: event || "message", data: data.join("\n") });
      data = [];
      dataBytes = 0;
      event = "";
      id = undefined;
      return;
    }
    if (text.startsWith(":")) return; // a comment: servers send these as keep-alives
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      data.push(value);
      dataBytes += utf8Bytes(value);
    } else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    // `retry:` and unknown fields are ignored: reconnect timing is ours (capped backoff), not the server's.
  };

  return {
    push(chunk) {
      const out: SseFrame[] = [];
      // An empty chunk (a read that decoded to nothing: a lone byte of a longer character, an empty read) says
      // nothing about the "\r" before it: forgetting it there split the CRLF around it into two line endings.
      if (chunk === "") return out;
      let text = chunk;
      if (sawCr && text.startsWith("\n")) text = text.slice(1);
      sawCr = false;
      // Only the new chunk is scanned, and the unfinished line is kept in pieces joined once it ends: a long line
      // arriving in many chunks costs its length once, not once per chunk.
      let start = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c !== "\n" && c !== "\r") continue;
        line(pending.join("") + text.slice(start, i), out);
        pending = [];
        pendingBytes = 0;
        if (c === "\r") {
          if (i + 1 === text.length) sawCr = true;
          else if (text[i + 1] === "\n") i++;
        }
        start = i + 1;
      }
      const tail = text.slice(start);
      if (tail !== "") {
        pending.push(tail);
        pendingBytes += utf8Bytes(tail);
      }
      if (pendingBytes + dataBytes > MAX_FRAME_BYTES) {
        throw new CliError(
          "bad_response",
          `the job feed sent more than ${MAX_FRAME_BYTES} bytes without ending an event`,
          "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, not a proxy or another service",
        );
      }
      return out;
    },
  };
}

/** A job-feed frame as a JobEvent; undefined for anything else (pings, malformed data) — the feed skips those. */
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
  return { seq, type, at: typeof p.at === "number" ? p.at : Number.NaN, data };
}
