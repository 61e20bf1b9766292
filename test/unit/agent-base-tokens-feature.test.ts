// A resumed run's `insights.baseTokens` (agent/run-usage) travels only to a coordinator whose `welcome` announced
// FEATURES.baseTokens (agent/frame-features): a coordinator from before it has strict frame schemas and refused the
// whole report, so a resumed run's `complete` never landed and the job ran again (review R1, pass 51). Proved on the
// pure rule and on the agent's real socket against a loopback `ws` server in the part of a coordinator of each age.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { FactoryConnection, type OutFrame } from "../../src/agent/connection.ts";
import { framedFor } from "../../src/agent/frame-features.ts";
import { FEATURES } from "../../src/shared/protocol.ts";

const resumed: OutFrame = {
  type: "complete",
  jobId: "job_1",
  leaseEpoch: 2,
  insights: { tokensIn: 600, tokensOut: 10, baseTokens: 500, unpricedTokens: 610 },
};

describe("framedFor", () => {
  it("leaves baseTokens out for a coordinator that did not announce it, and keeps the rest", () => {
    const sent = framedFor(resumed, new Set([FEATURES.batch, FEATURES.stopped]));
    expect(sent).toEqual({ ...resumed, insights: { tokensIn: 600, tokensOut: 10, unpricedTokens: 610 } });
    expect((resumed as { insights: object }).insights).toHaveProperty("baseTokens", 500); // the caller's, unchanged
  });

  it("sends the frame as it is to a coordinator that announced it, or when there is nothing to leave out", () => {
    expect(framedFor(resumed, new Set(Object.values(FEATURES)))).toBe(resumed);
    const plain = { type: "progress", jobId: "job_1", leaseEpoch: 1, insights: { tokensIn: 5 } } as OutFrame;
    expect(framedFor(plain, new Set())).toBe(plain);
    const renew = { type: "renew", jobId: "job_1", leaseEpoch: 1 } as OutFrame;
    expect(framedFor(renew, new Set())).toBe(renew);
  });
});

describe("the agent's socket", () => {
  let server: WebSocketServer | undefined;
  let conn: FactoryConnection | undefined;
  afterEach(async () => {
    conn?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** The frame the coordinator received after a welcome announcing `features` (undefined: an older one's, none). */
  async function received(features: string[] | undefined): Promise<Record<string, unknown>> {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => server!.once("listening", () => resolve()));
    const got = new Promise<Record<string, unknown>>((resolve) =>
      server!.once("connection", (ws) =>
        ws.on("message", (data) => {
          const f = JSON.parse(String(data));
          if (f.type !== "hello") return resolve(f);
          const welcome = { type: "welcome", v: 1, factoryId: "fac_1", productId: "p", queueVersion: 1 };
          ws.send(
            JSON.stringify({ ...welcome, heartbeatIntervalMs: 30_000, leases: [], ...(features ? { features } : {}) }),
          );
        }),
      ),
    );
    const { port } = server.address() as AddressInfo;
    conn = new FactoryConnection({
      url: `http://127.0.0.1:${port}`,
      product: "p",
      token: "t",
      hello: () => ({ seats: 1, capabilities: [], engines: [], agentVersion: "test" }) as never,
      handlers: { onWelcome() {}, onFrame() {}, onDisconnected() {}, onFatal() {} },
    });
    conn.start();
    await conn.whenReady();
    conn.request(resumed).catch(() => {}); // never answered: the connection's close ends it
    return got;
  }

  it("sends no baseTokens to an older coordinator (no features announced)", async () => {
    expect((await received(undefined)).insights).toEqual({ tokensIn: 600, tokensOut: 10, unpricedTokens: 610 });
  });

  it("sends baseTokens to a coordinator that announced base-tokens", async () => {
    expect((await received(Object.values(FEATURES))).insights).toHaveProperty("baseTokens", 500);
  });
});
