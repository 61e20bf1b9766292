// A connection that ends for good (revoked, replaced: agent/close-codes) stops every engine and exits after
// FATAL_STOP_MS. An engine that ignores SIGTERM and started a daemon of its own (setsid, holding the engine's stdout)
// had its run end only STDIO_DRAIN_MS after the group's SIGKILL — after the exit: the timer that would have killed the
// daemon by its mark never fired, and the daemon ran on for good. Engines not done at the deadline are now killed,
// marked strays included, before the exit. What would happen after the exit is held off here (`process.kill` is
// stubbed once `run()` resolves), as it is in an agent process that has exited.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import type { ConnectionOptions } from "../../src/agent/connection.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { FixableError } from "../../src/shared/fixable-error.ts";
import { artifactServer, assignment, FakeConnection, tempAgent, until } from "./agent-fakes.ts";

let rest: Awaited<ReturnType<typeof artifactServer>>;
/** Ignores SIGTERM; its daemon (own session, the run's mark inherited, the engine's stdout held) writes both pids. */
const ENGINE = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const d = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: ["ignore", "inherit", "ignore"] });
d.unref();
writeFileSync(process.argv[2], JSON.stringify({ engine: process.pid, daemon: d.pid }));
process.on("SIGTERM", () => {});
setInterval(() => {}, 1000);
`;

beforeAll(async () => {
  rest = await artifactServer();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rest.close();
});

describe.runIf(process.platform === "linux")("a fatal close", () => {
  it("kills an engine still running at the deadline, and the daemon it started, before the agent exits", async () => {
    const agent = tempAgent(rest.url);
    const script = path.join(agent.dir, "engine.mjs");
    const pidsFile = path.join(agent.dir, "pids.json");
    writeFileSync(script, ENGINE);
    agent.engines.set("stubborn", `${process.execPath} ${script} ${pidsFile}`);
    let pids: { engine: number; daemon: number } | undefined;
    try {
      let opts: ConnectionOptions | undefined;
      let conn: FakeConnection | undefined;
      const sup = new Supervisor({
        cfg: agent.cfg,
        out: agent.out,
        engines: agent.engines,
        hello: { capabilities: [], seats: 1, engines: ["stubborn"], agentVersion: "test" },
        connect: (o) => {
          opts = o;
          conn = new FakeConnection(o);
          return conn.asConnection();
        },
      });
      const exited = sup.run();
      (conn as FakeConnection).welcome([assignment("job_fatal", "", 1, { engine: "stubborn" } as never)]);
      pids = await until("the engine and its daemon", () => {
        try {
          return JSON.parse(readFileSync(pidsFile, "utf8")) as { engine: number; daemon: number };
        } catch {
          return undefined;
        }
      });
      opts?.handlers.onFatal(new FixableError("revoked", "the factory was revoked", "enroll again"));
      expect(await exited).toBe(1);
      vi.spyOn(process, "kill").mockImplementation(() => true); // the agent has exited: nothing of it acts any more
      const { daemon } = pids;
      await until("the daemon gone", () => !isRunning(daemon), 10_000);
    } finally {
      vi.restoreAllMocks();
      for (const pid of pids ? [pids.engine, pids.daemon] : []) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      rmSync(agent.dir, { recursive: true, force: true });
    }
  });
});
