// A factory revoked while its WebSocket upgrade is in flight is not welcomed: the Worker authenticated the token a
// moment before the revocation committed, so the coordinator accepts the upgrade, but the hello is refused
// (`unauthorized`) and the socket closed with 4001 (revoked), as revocation closes every other socket of it.
// Found by a security review: the hello of a revoked factory was greeted like any other — welcome, a new
// connection generation, its declaration and heartbeat written to the revoked record — and the socket stayed open.
// The race is played by handing the coordinator the upgrade the Worker would have forwarded.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../src/shared/protocol.ts";
import { ADMIN, api, enroll, P } from "./client";
import { TestSocket } from "./sockets";

type FactoryView = { status: string; lastHeartbeatAt?: number };

describe("a factory revoked while its upgrade was on its way", () => {
  it("is refused at hello and closed with 4001, and its record is left as the revocation wrote it", async () => {
    const product = "revoked-hello";
    const f = await enroll(product, "late");
    expect((await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN })).status).toBe(
      200,
    );
    const before = (await api<FactoryView>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body;
    expect(before.status).toBe("revoked");

    // What the Worker forwards after authenticating the (then still valid) factory token: routes/work `connect`.
    const res = await env.COORDINATOR.getByName(product).fetch(
      new Request("https://coordinator/connect", {
        headers: { upgrade: "websocket", "x-gf-factory-id": f.factoryId, "x-gf-product-id": product },
      }),
    );
    if (!res.webSocket) throw new Error(`no upgrade: ${res.status}`);
    const socket = new TestSocket(res.webSocket);
    socket.send({ type: "hello", id: "h1", v: 1, capabilities: ["gpu"], seats: 4, engines: [], agentVersion: "t" });
    const answer = await socket.answer<{ type: string; code?: string }>("h1", 3000);
    expect(answer).toMatchObject({ type: "error", code: "unauthorized" });
    expect((await socket.waitClosed())?.code).toBe(CLOSE.revoked);
    expect(socket.frames.some((fr) => fr.type === "welcome")).toBe(false);

    const after = (await api<FactoryView>("GET", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })).body;
    expect(after).toEqual(before);
  });
});
