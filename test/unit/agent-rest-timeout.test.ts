// The agent's enrollment request is bounded: a coordinator (or a proxy in front of it) that takes the TCP connection
// and never answers gets `RestError timeout` after the bound, never a hung `gigafactory-agent enroll`. A real local
// socket that reads the request and says nothing.
import { createServer, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { enroll, RestError } from "../../src/agent/rest.ts";

const sockets: Socket[] = [];
const silent = createServer((s) => {
  sockets.push(s);
  s.on("data", () => {}); // read the request, answer nothing
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe("agent enroll against a coordinator that never answers", () => {
  it("fails with RestError timeout after its bound", async () => {
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const target = { url: `http://127.0.0.1:${port}`, product: "p", token: "gfe_p_code" };
    const err = await enroll(target, { name: "h", capabilities: [], seats: 1 }, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect(err).toMatchObject({ status: 0, code: "timeout", detail: "no answer within 0.3 s" });
    // The request did reach a socket that took it. Polled: on a loaded box the 0.3 s timer can fire before this
    // process has run the server's connection callback for the socket the client already opened.
    await expect.poll(() => sockets.length).toBeGreaterThanOrEqual(1);
  });
});
