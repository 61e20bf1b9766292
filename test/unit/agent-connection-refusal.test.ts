// The agent's factory socket against an upgrade refused by a hostile or broken server on a real loopback socket: a
// 502 whose body never ends is read no further than MAX_REFUSAL_BYTES, its connection closed and the refusal judged
// (the agent read it into one string until V8 refused a longer one and the process died); a refusal whose connection
// breaks mid-body is judged from what came, at once (not 20 s later by the welcome timer, as "connection error"); a
// redirect is reported as one, with its target, and not followed; the status is said with its reason phrase
// (`HTTP 404 Not Found`), as the CLI says it — the agent's said `HTTP 404` alone. A connection every address of the
// name refuses (`localhost` as ::1 and 127.0.0.1: Node's AggregateError, whose message is empty) names each refusal
// instead of "connection error: " and nothing.
import { createServer, type Server } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { refusalVerdict } from "../../src/agent/close-codes.ts";
import { MAX_REFUSAL_BYTES } from "../../src/agent/connect-refusal.ts";
import { FactoryConnection } from "../../src/agent/connection.ts";

let server: Server | undefined;
let conn: FactoryConnection | undefined;
afterEach(async () => {
  conn?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server whose every upgrade request gets `answer` on its raw socket. */
async function upgradeRefuser(answer: (socket: Socket) => void | Promise<void>): Promise<string> {
  server = createServer((_req, res) => res.end());
  server.on("upgrade", (_req, socket: Socket) => void answer(socket));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Connects, and resolves with the first disconnection's reason (the connection is then closed for good). */
function firstDisconnect(url: string): Promise<string> {
  return new Promise((resolve) => {
    conn = new FactoryConnection({
      url,
      product: "p",
      token: "t",
      hello: () => ({ seats: 1, capabilities: [], engines: [], agentVersion: "test" }),
      handlers: {
        onWelcome() {},
        onFrame() {},
        onFatal() {},
        onDisconnected(why) {
          conn?.close();
          resolve(why);
        },
      },
    });
    conn.start();
  });
}

const drained = (socket: Socket) =>
  new Promise<void>((resolve) => {
    const done = () => {
      socket.off("drain", done).off("close", done);
      resolve();
    };
    socket.once("drain", done).once("close", done);
  });

describe("a refused upgrade", () => {
  it("whose body never ends is read no further than MAX_REFUSAL_BYTES, and its connection closed", async () => {
    let written = 0;
    let closed!: () => void;
    const gone = new Promise<void>((r) => {
      closed = r;
    });
    const url = await upgradeRefuser(async (socket) => {
      socket.on("close", () => closed());
      socket.on("error", () => {});
      socket.write("HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html>");
      const page = Buffer.alloc(64 * 1024, "x");
      while (!socket.destroyed) {
        written += page.length;
        if (!socket.write(page)) await drained(socket);
      }
    });
    const why = await firstDisconnect(url);
    expect(why).toMatch(
      /^connect refused: not a Gigafactory answer: HTTP 502 Bad Gateway, more than 65536 bytes of text\/html: "x{100}…"$/,
    );
    await gone;
    // What the socket buffers on both sides, and no more: the agent stopped reading at the bound.
    expect(written).toBeLessThan(MAX_REFUSAL_BYTES + 16 * 1024 * 1024);
  });

  it("whose connection breaks mid-body is judged from what came", async () => {
    const url = await upgradeRefuser((socket) => {
      socket.write("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 1000\r\n\r\nmaintenance until 5");
      setImmediate(() => socket.destroy());
    });
    expect(await firstDisconnect(url)).toBe(
      'connect refused: not a Gigafactory answer: HTTP 503 Service Unavailable, 19 bytes with no Content-Type: "maintenance until 5"',
    );
  });

  it("says the server's reason phrase after its status, as the CLI does, with a body or without", async () => {
    const url = await upgradeRefuser((socket) => {
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    expect(await firstDisconnect(url)).toBe(
      "connect refused: HTTP 404 Not Found (is the URL a Gigafactory coordinator, and the product right?)",
    );
  });

  it("by a redirect says so, with its target, and does not follow it", async () => {
    const url = await upgradeRefuser((socket) => {
      socket.end("HTTP/1.1 301 Moved Permanently\r\nlocation: https://elsewhere.example/\r\ncontent-length: 0\r\n\r\n");
    });
    expect(await firstDisconnect(url)).toBe(
      "connect refused: HTTP 301 Moved Permanently, a redirect to https://elsewhere.example/, not followed: the coordinator never redirects, so something else answered (is --url the coordinator's own address?)",
    );
    expect(refusalVerdict(302, "moved")).toEqual({
      kind: "retry",
      why: "connect refused: HTTP 302, a redirect, not followed: the coordinator never redirects, so something else answered (is --url the coordinator's own address?)",
    });
  });
});

describe("a connection every address refuses", () => {
  it("names each refusal in the disconnection's reason", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r())); // a port just freed: nothing answers on it
    // Node's own error for two addresses that both refuse (happy eyeballs), as the socket emits it.
    const aggregate = await new Promise<Error>((resolve) => {
      const lookup = (_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
        cb(null, [
          { address: "127.0.0.1", family: 4 },
          { address: "127.0.0.2", family: 4 },
        ]);
      net.connect({ host: "localhost", port, autoSelectFamily: true, lookup: lookup as never }).on("error", resolve);
    });
    expect(aggregate.message).toBe("");
    const why = firstDisconnect(`http://127.0.0.1:${port}`);
    (conn as unknown as { ws: { emit(e: string, err: Error): void } }).ws.emit("error", aggregate);
    expect(await why).toBe(
      `connection error: connect ECONNREFUSED 127.0.0.1:${port}; connect ECONNREFUSED 127.0.0.2:${port}`,
    );
  });
});
