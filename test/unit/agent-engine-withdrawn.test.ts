// A host whose engine cannot start stops advertising it (agent/engine-offer), where it kept `engine:NAME` from its
// hello and so kept taking those jobs and rejecting each one. After `engine.not_started` for the engine's own fault
// (binary not executable, gone, its #! interpreter missing): the coordinator is told at once by the factory's HTTP
// beat (`POST /factories/heartbeat` with the capabilities without `engine:NAME`; no lease touched, the socket kept),
// every later hello leaves it out, and a job naming it that was pushed meanwhile is rejected before it is accepted,
// its engine not tried again. A withdrawn engine is looked at again: once nothing visible keeps it from starting, it
// is offered again (`engine.restored`, declared, in hello again, in its place in the preference order); still broken,
// it stays out. A start that failed for its working directory, or the sandbox, withdraws nothing. Real Supervisor on a
// fake connection, a real HTTP stand-in for the beat, real engine processes.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionOptions } from "../../src/agent/connection.ts";
import { EngineOffer } from "../../src/agent/engine-offer.ts";
import { engineStartProblem, notStarted } from "../../src/agent/engine-start.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { assignment, FakeConnection, tempAgent, until } from "./agent-fakes.ts";

const bin = mkdtempSync(path.join(tmpdir(), "gf-agent-withdrawn-"));
chmodSync(bin, 0o755);
/** Every beat the stand-in coordinator took: the capabilities it declared. */
const beats: string[][] = [];
const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8").on("data", (d: string) => {
    body += d;
  });
  req.on("end", () => {
    if (req.url?.endsWith("/factories/heartbeat"))
      beats.push((JSON.parse(body) as { capabilities: string[] }).capabilities);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ factory: {}, queueVersion: 1, leases: [] }));
  });
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(bin, { recursive: true, force: true });
});

describe("a real agent whose engine cannot start", () => {
  it("withdraws it (beat, hello, seats), rejects its next job unaccepted, and offers it again once fixed", async () => {
    const engine = path.join(bin, "eng-noexec");
    writeFileSync(engine, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
    chmodSync(engine, 0o644); // not executable: EACCES
    const agent = tempAgent(url);
    const engines = new Map([["eng", engine], ...agent.engines]);
    const caps = ["engine:eng", "engine:sample", "has:git"];
    let conn: FakeConnection | undefined;
    let opts: ConnectionOptions | undefined;
    const sup = new Supervisor({
      cfg: agent.cfg,
      out: agent.out,
      engines,
      hello: { capabilities: caps, seats: 1, engines: ["eng", "sample"], agentVersion: "test" },
      connect: (o) => {
        opts = o;
        conn = new FakeConnection(o);
        return conn.asConnection();
      },
      engineRecheckMs: 50,
    });
    const exited = sup.run();
    try {
      const c = conn as FakeConnection;
      const hello = () => (opts as ConnectionOptions).hello();
      expect(hello().capabilities).toEqual(caps);
      c.welcome([], { features: ["accept-building", "batch", "stopped"] });
      const started = beats.length;
      c.push({ type: "assign", assignments: [assignment("job_w1", "", 1, { engine: "eng" })] });
      await until("the first job rejected", () => c.frames("reject").length === 1);
      await until("the withdrawal declared", () => beats.length > started);
      expect(beats[started]).toEqual(["engine:sample", "has:git"]);
      expect(hello().capabilities).toEqual(["engine:sample", "has:git"]);
      expect(hello().engines).toEqual(["sample"]);
      expect(agent.events.find((e) => e.event === "engine.withdrawn")?.message).toContain(
        "engine eng is no longer offered",
      );

      // Pushed before the coordinator learned: rejected at once, never accepted, its engine not tried again.
      const before = c.sent.length;
      c.push({ type: "assign", assignments: [assignment("job_w2", "", 1, { engine: "eng" })] });
      await until("the second job rejected", () => c.frames("reject").length === 2);
      expect(c.sent.slice(before).map((f) => f.type)).toEqual(["reject"]);
      const reason = c.frames("reject")[1];
      expect(reason?.type === "reject" ? reason.reason : "").toContain("engine eng cannot start on this host");
      expect(agent.events.filter((e) => e.event === "engine.not_started")).toHaveLength(1);

      // Fixed by its operator: looked at again, offered again, declared so.
      chmodSync(engine, 0o755);
      await until("engine restored", () => agent.events.some((e) => e.event === "engine.restored"));
      await until("the restoration declared", () => beats.at(-1)?.includes("engine:eng"));
      expect(beats.at(-1)).toEqual(caps);
      expect(hello().capabilities).toEqual(caps);
      expect(hello().engines).toEqual(["eng", "sample"]); // its place in the preference order kept
    } finally {
      void sup.drain("SIGTERM");
      await exited;
      agent.remove();
    }
  });
});

describe("the engine offer (agent/engine-offer)", () => {
  const quiet = { say: () => {} };

  it("a withdrawn engine still broken stays out; declarations go in order, the last the current set", async () => {
    const declared: string[][] = [];
    let broken: string | undefined = "still broken";
    let probes = 0;
    const offer = new EngineOffer({
      engines: new Map([
        ["a", "a-cli"],
        ["b", "b-cli"],
      ]),
      capabilities: ["engine:a", "engine:b", "os:linux"],
      out: quiet,
      declare: async (c) => {
        declared.push(c);
      },
      probe: () => {
        probes++;
        return broken;
      },
      recheckMs: 20,
    });
    try {
      offer.withdraw("a", "a-cli: permission denied");
      offer.withdraw("a", "again"); // idempotent while withdrawn
      expect(offer.whyWithdrawn("a")).toBe("a-cli: permission denied");
      expect([...offer.offered.keys()]).toEqual(["b"]);
      await until("two looks", () => probes >= 2);
      expect(offer.whyWithdrawn("a")).toBeDefined();
      broken = undefined;
      await until("restored", () => offer.whyWithdrawn("a") === undefined);
      await until("declared twice", () => declared.length === 2);
      expect(declared).toEqual([
        ["engine:b", "os:linux"],
        ["engine:a", "engine:b", "os:linux"],
      ]);
      expect([...offer.offered.keys()]).toEqual(["a", "b"]);
    } finally {
      offer.stop();
    }
  });

  it("only the engine's own fault withdraws it: not its working directory gone, not the sandbox's setup", () => {
    const env = { PATH: "/nonexistent-bin" };
    expect(
      notStarted("claude", { code: "ENOENT", message: "spawn claude ENOENT" }, { env, cwd: bin }).engineFault,
    ).toBe(true);
    expect(notStarted("x", { code: "EACCES", message: "denied" }, { env, cwd: bin }).engineFault).toBe(true);
    const gone = path.join(bin, "gone-dir");
    expect(notStarted("claude", { code: "ENOENT", message: "spawn" }, { env, cwd: gone }).engineFault).toBe(false);
    const setup = "bwrap: Can't find source path /gone: No such file or directory";
    expect(notStarted("claude", { message: setup }, { env, cwd: bin }).engineFault).toBe(false);
  });

  it("what a look sees without running the engine: missing, not executable, no interpreter — or nothing", () => {
    const ok = path.join(bin, "probe-ok");
    writeFileSync(ok, "#!/bin/sh\n");
    chmodSync(ok, 0o755);
    const noexec = path.join(bin, "probe-noexec");
    writeFileSync(noexec, "#!/bin/sh\n");
    chmodSync(noexec, 0o644);
    const interp = path.join(bin, "probe-interp");
    writeFileSync(interp, "#!/nonexistent/python9\n");
    chmodSync(interp, 0o755);
    const ctx = { pathVar: bin, cwd: bin };
    expect(engineStartProblem(ok, ctx)).toBeUndefined();
    expect(engineStartProblem("probe-ok", ctx)).toBeUndefined();
    expect(engineStartProblem("probe-missing", ctx)).toContain("not found on the engine's PATH");
    expect(engineStartProblem(noexec, ctx)).toContain("not executable");
    expect(engineStartProblem(interp, ctx)).toContain("its interpreter /nonexistent/python9");
    const nobody = { uid: 65534, gid: 65534 };
    chmodSync(ok, 0o700);
    expect(engineStartProblem(ok, { ...ctx, as: nobody })).toContain("not executable by uid 65534");
  });
});
