/**
 * WebSocket helpers for integration tests: open a factory or feed socket through
 * the Worker's own fetch handler and read frames in order, with a bounded wait.
 */
import { exports } from "cloudflare:workers";
import type { FactoryFrame, ServerFrame } from "../../src/shared/protocol.ts";
import { shown } from "./polling.ts";

type Frame = Record<string, unknown> & { type: string };

export class TestSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** The type of every frame received, in arrival order (`next` removes frames; this keeps the order seen). */
  readonly arrivals: string[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.accept();
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      this.frames.push(frame);
      this.arrivals.push(frame.type);
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: FactoryFrame | Record<string, unknown> | string) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next unread frame of `type` (frames before it stay unread), waiting up to `ms`. */
  next<T = Frame>(type: string, ms = 5000): Promise<T> {
    return this.take((f) => f.type === type, `a ${type} frame`, ms);
  }

  /** The answer to the frame sent with `id` — its `ack` or its `error`, whichever came — waiting up to `ms`. */
  answer<T = Frame>(id: string, ms = 5000): Promise<T> {
    return this.take((f) => (f.type === "ack" || f.type === "error") && f.id === id, `an answer to ${id}`, ms);
  }

  private async take<T>(match: (f: Frame) => boolean, what: string, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0] as unknown as T;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms; got ${shown(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The close this socket got, waiting up to `ms`; throws if it is still open then (with the frames it got). */
  async waitClosed(ms = 5000) {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.closed) throw new Error(`socket still open after ${ms} ms; unread frames: ${shown(this.frames)}`);
    return this.closed;
  }

  close() {
    try {
      this.ws.close(1000, "done");
    } catch {
      /* closed */
    }
  }
}

export async function openSocket(path: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(`http://gf.test${path}`, {
    headers: { upgrade: "websocket", ...headers },
  });
  if (!res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  return new TestSocket(res.webSocket);
}

export async function connectFactory(product: string, token: string, hello: Partial<Record<string, unknown>> = {}) {
  const s = await openSocket(`/api/v1/products/${product}/factories/connect`, { authorization: `Bearer ${token}` });
  s.send({ type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test", ...hello });
  const welcome = await s.next<Extract<ServerFrame, { type: "welcome" }>>("welcome");
  return { socket: s, welcome };
}

export type AssignFrame = Extract<ServerFrame, { type: "assign" }>;

/**
 * Opens a job's live feed (`feed`: its `…/events` path) as `kind` with `ticket` and no header, after `after`: a
 * refusal's status and problem code, or 101 / 200 for a stream that opened (then ended at once).
 */
export async function openWithTicket(
  feed: string,
  kind: "ws" | "stream",
  ticket: string,
  after = 0,
): Promise<{ status: number; code?: string }> {
  const headers: Record<string, string> = kind === "ws" ? { upgrade: "websocket" } : {};
  const worker = (exports as unknown as { default: Fetcher }).default;
  const res = await worker.fetch(`http://gf.test${feed}/${kind}?after=${after}&ticket=${ticket}`, { headers });
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, "test done");
    return { status: res.status };
  }
  if (res.status === 200) {
    await res.body?.cancel();
    return { status: 200 };
  }
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code };
}
