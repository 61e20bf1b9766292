/**
 * @module durable-objects/feed/sse
 * Server-Sent Events for plain HTTP clients: `id:` is the event's seq, so a
 * browser's automatic reconnect sends `Last-Event-ID` and resumes exactly.
 */
import type { JobEvent } from "../../shared/protocol.ts";

const encoder = new TextEncoder();

export function sseEvent(e: JobEvent): Uint8Array {
  return encoder.encode(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
}

/** A comment line: keeps proxies from closing an idle stream. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`);
}

export class SseClient {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  closed = false;

  constructor(writable: WritableStream<Uint8Array>) {
    this.writer = writable.getWriter();
    this.writer.closed.then(
      () => {
        this.closed = true;
      },
      () => {
        this.closed = true;
      },
    );
  }

  /** End the stream (after what was written): the client sees the response finish. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close().catch(() => {});
  }

  write(chunk: Uint8Array): void {
    if (this.closed) return;
    this.writer.write(chunk).catch(() => {
      this.closed = true;
    });
  }
}
