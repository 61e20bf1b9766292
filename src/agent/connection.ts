/**
 * @module agent/connection
 * The factory's WebSocket to its product's coordinator (protocol v1, see
 * shared/protocol.ts): bearer-authenticated upgrade, `hello` → `welcome`,
 * request/answer correlation by frame `id`, a heartbeat every
 * `welcome.heartbeatIntervalMs`, and reconnection with capped, jittered
 * exponential backoff (agent/backoff). It knows nothing about jobs: frames the
 * agent must act on go to `onFrame`, and closes that forbid reconnecting
 * (revoked, replaced, protocol error, refused token) go to `onFatal`.
 */
import WebSocket from "ws";
import { afterPoll } from "../shared/after-poll.ts";
import type { FixableError } from "../shared/fixable-error.ts";
import { reasonOf } from "../shared/http-transport.ts";
import type { FactoryFrame, ServerFrame } from "../shared/protocol.ts";
import { MAX_SERVER_FRAME_BYTES } from "../shared/protocol.ts";
import { attemptAfterClose, reconnectDelayMs } from "./backoff.ts";
import { closeVerdict, refusalVerdict, type Verdict } from "./close-codes.ts";
import { readRefusal } from "./connect-refusal.ts";
import { framedFor } from "./frame-features.ts";
import { heartbeatEvery } from "./heartbeat-interval.ts";
import { FrameError, PendingRequests } from "./pending-requests.ts";
import { isUnknownType, readServerFrame } from "./server-frames.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type OutFrame = DistributiveOmit<FactoryFrame, "id">;
export type Welcome = Extract<ServerFrame, { type: "welcome" }>;
export type HelloInfo = Omit<Extract<FactoryFrame, { type: "hello" }>, "type" | "id" | "v">;

export { FrameError, LEASE_LOST_CODES } from "./pending-requests.ts";

export interface ConnectionHandlers {
  onWelcome(welcome: Welcome): void;
  onFrame(frame: ServerFrame): void;
  onDisconnected(why: string, retryInMs: number): void;
  onFatal(error: FixableError): void;
  /** A frame of a known type was ignored as malformed (`why`); unknown types, a newer coordinator's, pass silently. */
  onIgnored?(why: string): void;
}

export interface ConnectionOptions {
  url: string;
  product: string;
  token: string;
  hello: () => HelloInfo;
  handlers: ConnectionHandlers;
  /** The bound (ms) for the upgrade, and twice it for `welcome` after connecting; default HANDSHAKE_TIMEOUT_MS. */
  handshakeTimeoutMs?: number;
}

/** 30 s: an answer slower than this means the socket is dead or the coordinator is stuck; either way, retry elsewhere. */
const REQUEST_TIMEOUT_MS = 30_000;
/** 10 s: for the upgrade and then for `welcome`; a healthy coordinator answers in milliseconds. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export class FactoryConnection {
  private ws: WebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private welcomedAt: number | undefined;
  private readonly pending = new PendingRequests();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly readyWaiters = new Set<() => void>();
  private readonly opts: ConnectionOptions;
  /** The optional features the last `welcome` announced (shared/protocol FEATURES): none before one. */
  private features: ReadonlySet<string> = new Set();

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
  }

  get endpoint(): string {
    const base = this.opts.url.replace(/^http/, "ws").replace(/\/+$/, "");
    return `${base}/api/v1/products/${encodeURIComponent(this.opts.product)}/factories/connect`;
  }

  /** Welcomed and able to carry requests. */
  get ready(): boolean {
    return this.welcomedAt !== undefined && this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /**
   * Resolves at the next `welcome` (at once if welcomed now), or after `timeoutMs` if given; never rejects. A waiter
   * that timed out is dropped: racing a timer instead left one waiter per wait until the next welcome — a delivery
   * retried every second piled up one per second per frame for as long as the coordinator stayed away. The timeout
   * ends the wait after a poll (shared/after-poll): a welcome already in the socket is read first, so it ends ready.
   */
  whenReady(timeoutMs?: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(afterPoll(done), timeoutMs);
      this.readyWaiters.add(done);
    });
  }

  /** Send a frame with a fresh `id`; resolves with the `ack` result, rejects with FrameError. */
  request(frame: OutFrame, timeoutMs: number = REQUEST_TIMEOUT_MS): Promise<unknown> {
    const ws = this.ws;
    if (!ws || !this.ready) return Promise.reject(new FrameError("disconnected", "not connected to the coordinator"));
    const { id, answer } = this.pending.open(frame.type, timeoutMs);
    ws.send(JSON.stringify({ ...framedFor(frame, this.features), id }), (err) => {
      if (err) this.pending.fail(id, new FrameError("disconnected", err.message));
    });
    return answer;
  }

  /** Stop for good: close cleanly, no reconnect. */
  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000, "agent stopping");
    this.teardown("agent stopping");
  }

  private open(): void {
    if (this.stopped) return;
    const handshakeMs = this.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    // No `handshakeTimeout` for ws: ws's is an idle timer on the socket, which fired before the poll that reads an
    // upgrade answer already waiting. The upgrade's bound is `upgradeTimer` below.
    const ws = new WebSocket(this.endpoint, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      // welcome/assign carry whole jobs: the coordinator holds every frame it sends to this bound (shared/protocol).
      maxPayload: MAX_SERVER_FRAME_BYTES,
      // Not offered: frames are a few hundred bytes of JSON, and deflating each one costs the coordinator's single
      // thread (2.6 % of the local runtime's CPU in the issue-12 profile: bench/README) for bytes no link misses.
      perMessageDeflate: false,
    });
    this.ws = ws;
    let settled = false;
    let answered = false; // the upgrade got its HTTP answer: 101, or a refusal whose body is being read
    let overdue = false; // it got none within the window and was ended
    // No answer to the upgrade within the handshake window, then no welcome within twice it: the socket is dead. Each
    // judged after a poll (shared/after-poll): an answer already in the socket when the loop was held past the window
    // is read first, so only an upgrade still unanswered, or a socket still unwelcomed, is ended.
    const unanswered = () => {
      if (answered || this.ws !== ws || ws.readyState !== WebSocket.CONNECTING) return;
      overdue = true;
      ws.terminate();
    };
    const unwelcomed = () => {
      if (this.welcomedAt === undefined && this.ws === ws) ws.terminate();
    };
    const upgradeTimer = setTimeout(afterPoll(unanswered), handshakeMs);
    const welcomeTimer = setTimeout(afterPoll(unwelcomed), handshakeMs * 2);
    const lost = (why: string) => {
      clearTimeout(upgradeTimer);
      clearTimeout(welcomeTimer);
      if (settled || this.ws !== ws) return; // a stale socket's late events change nothing
      settled = true;
      const uptime = this.welcomedAt === undefined ? undefined : Date.now() - this.welcomedAt;
      this.teardown(why);
      if (this.stopped) return;
      this.attempt = attemptAfterClose(this.attempt, uptime);
      const delay = reconnectDelayMs(this.attempt++);
      this.opts.handlers.onDisconnected(why, delay);
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
    const fatal = (error: FixableError) => {
      clearTimeout(upgradeTimer);
      clearTimeout(welcomeTimer);
      if (this.ws !== ws) return;
      settled = true;
      this.stopped = true;
      this.teardown(error.message);
      ws.terminate();
      this.opts.handlers.onFatal(error);
    };

    ws.on("upgrade", () => {
      answered = true;
    });
    ws.on("open", () => {
      const hello = this.opts.hello();
      ws.send(JSON.stringify({ type: "hello", v: 1, ...hello }));
    });
    const judge = (v: Verdict) => (v.kind === "fatal" ? fatal(v.error) : lost(v.why));
    ws.on("unexpected-response", (_req, res) => {
      answered = true;
      readRefusal(res, (body) => {
        const heads = { location: res.headers.location, contentType: res.headers["content-type"] };
        judge(refusalVerdict(res.statusCode ?? 0, body, { ...heads, statusText: res.statusMessage }));
        ws.terminate();
      });
    });
    ws.on("message", (data) => {
      const parsed = readServerFrame(String(data));
      // Ignored rather than obeyed or crashed on: unknown (a newer coordinator's) or malformed (agent/server-frames).
      if (parsed.ok) this.receive(parsed.frame);
      else if (!isUnknownType(parsed)) this.opts.handlers.onIgnored?.(parsed.message);
    });
    ws.on("close", (code, reason) => judge(closeVerdict(code, String(reason))));
    // A refused `localhost`'s message is ""; an upgrade ended as unanswered says so in ws's own words, with the bound.
    const upgradeLate = () => `Opening handshake has timed out (no answer within ${handshakeMs} ms)`;
    ws.on("error", (err) => lost(`connection error: ${overdue ? upgradeLate() : reasonOf(err)}`));
  }

  private receive(frame: ServerFrame): void {
    if (frame.type === "welcome") {
      this.welcomedAt = Date.now();
      this.features = new Set(frame.features ?? []); // what this coordinator takes (agent/frame-features)
      this.startHeartbeat(frame.heartbeatIntervalMs);
      this.opts.handlers.onWelcome(frame);
      for (const w of [...this.readyWaiters]) w();
      return;
    }
    if ((frame.type === "ack" || frame.type === "error") && frame.id !== undefined) {
      if (this.pending.settle(frame.id, frame)) return;
    }
    this.opts.handlers.onFrame(frame);
  }

  private startHeartbeat(intervalMs: number): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const every = heartbeatEvery(intervalMs); // held to HEARTBEAT_MAX_MS: a half-open socket is found within a minute
    const ws = this.ws;
    this.heartbeat = setInterval(() => {
      // A heartbeat unanswered within one interval means a half-open socket: drop it and reconnect.
      this.request({ type: "heartbeat" }, every).catch((err: FrameError) => {
        if (err.code === "timeout" && this.ws === ws) ws?.terminate();
      });
    }, every);
  }

  private teardown(why: string): void {
    this.welcomedAt = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.pending.failAll(why);
  }
}
