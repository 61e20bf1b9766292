// Proves the agent does not offer permessage-deflate on its factory socket: against a loopback `ws` server that
// would accept it, the upgrade request carries no Sec-WebSocket-Extensions and the socket runs uncompressed.
// (Deflating every small frame cost the coordinator's single thread 2.6 % in the issue-12 profile.)
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { FactoryConnection } from "../../src/agent/connection.ts";

describe("the agent's factory socket", () => {
  let server: WebSocketServer | undefined;
  let conn: FactoryConnection | undefined;
  afterEach(async () => {
    conn?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("offers no permessage-deflate, so none is negotiated", async () => {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: true });
    await new Promise<void>((resolve) => server!.once("listening", () => resolve()));
    const port = (server.address() as AddressInfo).port;
    const upgraded = new Promise<{ offer: string | undefined; negotiated: string }>((resolve) =>
      server!.once("connection", (ws, req) =>
        resolve({ offer: req.headers["sec-websocket-extensions"], negotiated: ws.extensions }),
      ),
    );
    conn = new FactoryConnection({
      url: `http://127.0.0.1:${port}`,
      product: "p",
      token: "t",
      hello: () => ({ seats: 1, capabilities: [], engines: [], agentVersion: "test" }) as never,
      handlers: { onWelcome() {}, onFrame() {}, onDisconnected() {}, onFatal() {} },
    });
    conn.start();
    expect(await upgraded).toEqual({ offer: undefined, negotiated: "" });
  });
});
