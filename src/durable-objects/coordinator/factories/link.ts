/**
 * @module durable-objects/coordinator/factories/link
 * The coordinator's link to its factories over WebSockets (hibernation API): upgrade, hello (its unit and welcome:
 * factories/hello), frames, close, push dispatch (factories/push), notices and the stale-socket sweep. One live
 * connection per factory (the latest hello's; a replaced socket's frames are refused). Each frame, a `batch` too
 * (factories/batch), is one unit (runtime/units) answered by one `ack` or `error` before the next dispatch pass;
 * frames arriving together share a turn and a commit.
 */
import { CLOSE, parseFactoryFrame } from "../../../shared/protocol.ts";
import type { Units } from "../runtime/units.ts";
import { applyBatch } from "./batch.ts";
import { FrameTurns } from "./frame-turns.ts";
import { applyFactoryFrame } from "./frames.ts";
import { commitHello, type HelloFrame, welcomeFrame } from "./hello.ts";
import { noteDisconnected, noteLinkEnded } from "./link-ends.ts";
import { pushWork } from "./push.ts";
import { assertCurrentConnection, REPLACED, refuseReplaced } from "./socket-guards.ts";
import {
  attachmentOf,
  closeBack,
  closeStaleSockets,
  notifyFactory,
  replaceOthers,
  type SocketAttachment,
  send,
  shedPendingSockets,
  workReadySockets,
} from "./sockets.ts";
import { DispatchThrottle } from "./throttle.ts";

export class FactoryLink {
  /**
   * The work-ready sockets, kept between passes (issue 12 item 4: reading 1,000 attachments per dispatch pass was
   * a cost of idle sockets). Only this class marks a socket greeted, draining or replaced, or closes one, and each
   * such place forgets it; a socket the peer closed is forgotten in `lost`. A socket that went away before that
   * only fails its `send`, and factories/push gives its work back — as it did when the map was read per pass.
   */
  private ready: ReturnType<typeof workReadySockets> | undefined;
  /** The peer's close code of each socket whose close was handled (`lost`): frames still queued then come late. */
  private readonly ended = new WeakMap<WebSocket, number>();
  private readonly throttle = new DispatchThrottle(
    () => this.dispatch(),
    () => this.units.productId,
  );
  private readonly turns = new FrameTurns(
    (frames) => this.throttle.holding(frames),
    () => this.onBacklog(),
  );

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly units: Units,
    /** Work waits (a pass left runnable jobs unseated, frames queued behind a turn): feeds open slower. */
    private readonly onBacklog: () => void = () => {},
  ) {}

  private readySockets(): ReturnType<typeof workReadySockets> {
    this.ready ??= workReadySockets(this.ctx);
    return this.ready;
  }

  /** A dispatch pass: the most urgent due work pushed to work-ready sockets (factories/push). */
  dispatch(): void {
    const pass = pushWork(this.readySockets(), this.units);
    if (pass.waiting) this.onBacklog();
    if (pass.gaveBack) this.requestDispatch(); // to the sockets still there: nothing else may move the queue soon
  }

  /** Dispatch for a unit that moved the queue: a leading and a trailing pass per macrotask (factories/throttle). */
  requestDispatch(): void {
    this.throttle.request();
  }

  /** Factories with a greeted, work-ready WebSocket: what push dispatch sends to (read by jobs/waiting). */
  workReadyIds(): Set<string> {
    return new Set(this.readySockets().keys());
  }

  /** Push a frame to a factory's sockets (cancel, drain), or revoke and close them with the revoke's own reason. */
  notify(factoryId: string, frame: Parameters<typeof notifyFactory>[2], close?: boolean): void {
    if (close) this.ready = undefined;
    const reason = frame.type === "revoke" ? frame.reason : "revoked"; // said by the agent (agent/close-codes)
    notifyFactory(this.ctx, factoryId, frame, close ? { code: CLOSE.revoked, reason } : undefined);
  }

  /** The sweep: close sockets of factories silent for 3 heartbeat intervals (factories/sockets). */
  closeStale(): number {
    const closed = closeStaleSockets(this.ctx, this.units.sql);
    if (closed.length === 0) return 0;
    this.ready = undefined;
    this.units.transact((tx) => noteDisconnected(tx, ...closed)); // closed from here: no close event need follow
    return closed.length;
  }

  /** Upgrade, after the Worker authenticated the factory (it passes the id in a header). */
  async accept(request: Request): Promise<Response> {
    const factoryId = request.headers.get("x-gf-factory-id");
    const productId = request.headers.get("x-gf-product-id");
    const tokenHash = request.headers.get("x-gf-token-hash");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !factoryId || !productId || !tokenHash) {
      return new Response("expected a factory WebSocket upgrade", { status: 426 });
    }
    this.units.bind(productId);
    shedPendingSockets(this.ctx, factoryId); // bounded per factory: one token cannot fill the object with sockets
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [factoryId]);
    const att: SocketAttachment = { factoryId, helloed: false, draining: false, connectedAt: Date.now(), tokenHash };
    server.serializeAttachment(att);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A frame: validated on arrival, applied with the others of its turn (factories/frame-turns). */
  message(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const parsed = parseFactoryFrame(message);
    return this.turns.defer(() => this.receive(ws, parsed));
  }

  private async receive(ws: WebSocket, parsed: ReturnType<typeof parseFactoryFrame>): Promise<void> {
    // Read now, not on arrival: a hello applied earlier in this turn has greeted the socket since.
    const att = attachmentOf(ws);
    if (!att) return;
    if (att.replaced || att.closed) return refuseReplaced(ws, parsed.ok ? parsed.frame.id : parsed.id, att.closed);
    if (!parsed.ok) {
      send(ws, { type: "error", id: parsed.id, code: parsed.code, message: parsed.message });
      if (!att.helloed) ws.close(CLOSE.protocolError, "expected hello");
      return;
    }
    const frame = parsed.frame;
    // Never on a closing socket (closed for a protocol error, or its close handled while the hello waited for its
    // turn): welcomed, it took the factory over — the live agent closed `replaced`, which stops it for good.
    if (frame.type === "hello") return ws.readyState === WebSocket.OPEN ? this.greet(ws, att, frame) : undefined;
    if (!att.helloed) {
      send(ws, { type: "error", id: frame.id, code: "validation_failed", message: "send hello first" });
      ws.close(CLOSE.protocolError, "expected hello");
      return;
    }
    // A drain or a beat whose socket's close was handled while it waited for its turn (`ended`): the drain records
    // what that close would have found had it come first (the factory left); the beat would date the link past its end.
    const ended = this.ended.get(ws);
    if (frame.type === "heartbeat" && ended !== undefined) return refuseReplaced(ws, frame.id, "its link ended");
    await this.units.run(
      this.units.productId,
      (tx) => {
        assertCurrentConnection(tx.sql, att);
        if (frame.type === "drain") {
          if (ended !== undefined) noteLinkEnded(tx, { ...att, draining: true }, ended);
          return undefined;
        }
        if (frame.type !== "batch") return applyFactoryFrame(tx, att.factoryId, frame, att.leaseTtlSeconds);
        return applyBatch(tx, att.factoryId, frame.frames, att.leaseTtlSeconds, (fn) => this.units.nested(fn));
      },
      (outcome) => {
        if (outcome.ok) {
          if (frame.type === "drain") ws.serializeAttachment({ ...att, draining: true }); // read by its close (`lost`)
          if (frame.type === "drain") this.ready = undefined;
          if (frame.id) send(ws, { type: "ack", id: frame.id, result: outcome.value });
        } else if (outcome.error.details?.reason === REPLACED) {
          refuseReplaced(ws, frame.id);
        } else {
          send(ws, { type: "error", id: frame.id, code: outcome.error.code, message: outcome.error.message });
        }
      },
    );
  }

  /**
   * HELLO — the factory's declaration (capabilities and seats, bounded by its grant: factories/grants) and a
   * new connection generation, committed in one unit; then, synchronously after the commit, this socket
   * replaces every other of the factory and is welcomed. Nothing awaits between the commit and the takeover,
   * so two hellos racing are handled one after the other and exactly one socket stays live: the later one.
   */
  private async greet(ws: WebSocket, att: SocketAttachment, hello: HelloFrame): Promise<void> {
    const outcome = await this.units.run(
      this.units.productId,
      (tx) => commitHello(tx, att, hello),
      (done) => {
        if (!done.ok) return;
        replaceOthers(this.ctx, ws, att.factoryId);
        this.ready = undefined;
        const { leaseTtlSeconds } = hello; // kept: this connection's leases get the shorter of it and the product's
        ws.serializeAttachment({ ...att, helloed: true, leaseTtlSeconds, connection: done.value.connection });
        send(ws, welcomeFrame(this.units.productId, att.factoryId, hello, done.value));
      },
    );
    if (!outcome.ok) {
      send(ws, { type: "error", id: hello.id, code: outcome.error.code, message: outcome.error.message });
      ws.close(outcome.error.code === "unauthorized" ? CLOSE.revoked : CLOSE.protocolError, outcome.error.code);
      return;
    }
    this.requestDispatch(); // through the throttle: a pass that fails is logged, not thrown at this hello
    await this.units.settle();
  }

  closed(ws: WebSocket, code: number, reason: string): Promise<void> {
    return this.lost(ws, code === 1005 || code === 1006 ? 1000 : code, reason, code);
  }

  errored(ws: WebSocket): Promise<void> {
    return this.lost(ws, 1011, "socket error", 1011);
  }

  /** A socket ended: closed back; if it was the live one, its end stored — and, by the peer's code, if it left. */
  private async lost(ws: WebSocket, code: number, reason: string, peerCode: number): Promise<void> {
    this.ready = undefined;
    this.ended.set(ws, peerCode);
    const live = closeBack(ws, code, reason);
    if (!live || !this.units.productId) return;
    await this.units.run(this.units.productId, (tx) => noteLinkEnded(tx, live, peerCode));
  }
}
