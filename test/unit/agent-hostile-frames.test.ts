// Proves a coordinator frame of a known type with a malformed envelope — `assign` with `"assignments": null`, a
// `welcome` with no heartbeat interval, a `welcome` lease with no job, a `cancel` naming no job — is ignored (or, for
// one lease, refused) and said so, while the agent stays connected: over a real loopback WebSocket, the agent process
// used to throw in its socket listener, which nothing catches, and die with every engine it ran.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { readServerFrame } from "../../src/agent/server-frames.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { tempAgent, until } from "./agent-fakes.ts";

const welcome = (over: Record<string, unknown> = {}) => ({
  type: "welcome",
  v: 1,
  factoryId: "fac_test",
  productId: "p",
  queueVersion: 1,
  heartbeatIntervalMs: 30_000,
  leases: [],
  ...over,
});

describe("malformed frames from the coordinator", () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("are ignored and reported, and the agent stays up and connected", async () => {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => server!.once("listening", () => resolve()));
    const { port } = server.address() as AddressInfo;
    const sockets: WebSocket[] = [];
    server.on("connection", (ws) => {
      sockets.push(ws);
      ws.on("message", (data) => {
        const f = JSON.parse(String(data)) as { type: string; id?: string };
        if (f.id !== undefined) ws.send(JSON.stringify({ type: "ack", id: f.id, result: {} }));
        if (f.type !== "hello") return;
        for (const frame of [
          welcome({ heartbeatIntervalMs: undefined }),
          welcome({ leases: [{}, { job: null, leaseEpoch: 1 }] }),
          { type: "assign", assignments: null },
          { type: "cancel", reason: "no job named" },
        ]) {
          ws.send(JSON.stringify(frame));
        }
      });
    });
    const agent = tempAgent(`http://127.0.0.1:${port}`);
    try {
      const sup = new Supervisor({
        cfg: agent.cfg,
        out: agent.out,
        engines: agent.engines,
        hello: { capabilities: [], seats: 1, engines: ["sample"], agentVersion: "test" },
      });
      const exited = sup.run();
      const events = (name: string) => agent.events.filter((e) => e.event === name);
      await until("the cancel ignored", () => events("frame.ignored").length >= 3);
      expect(events("frame.ignored").map((e) => e.message)).toEqual([
        expect.stringMatching(/malformed welcome frame \(heartbeatIntervalMs: /),
        expect.stringMatching(/malformed assign frame \(assignments: /),
        expect.stringMatching(/malformed cancel frame \(jobId: /),
      ]);
      expect(events("connected")).toHaveLength(1);
      expect(events("assign.refused")).toHaveLength(2);
      expect(sockets).toHaveLength(1); // never dropped, never reconnected
      void sup.drain("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      agent.remove();
    }
  });

  it("of a type the agent does not know pass silently (a newer coordinator's); known envelopes pass whole", () => {
    expect(readServerFrame(JSON.stringify({ type: "future" }))).toMatchObject({ ok: false });
    const w = welcome({ extra: { any: "thing" } });
    expect(readServerFrame(JSON.stringify(w))).toEqual({ ok: true, frame: w });
    expect(readServerFrame(JSON.stringify({ type: "ack", id: 7 }))).toMatchObject({ ok: false });
  });
});
