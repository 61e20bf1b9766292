// A connection that ends for good ends each running job with a line saying which end it was: a factory token
// rotated (`gigafactory factory rotate`) is `job_… lease lost: factory token rotated`, a factory removed `… factory
// removed by an operator` — both read `lease lost: factory revoked`, from the close's code alone.
import { describe, expect, it } from "vitest";
import { closeVerdict } from "../../src/agent/close-codes.ts";
import type { ConnectionOptions } from "../../src/agent/connection.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { CLOSE } from "../../src/shared/protocol.ts";
import { assignment, FakeConnection, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("a fatal close with a job running", () => {
  it.each([
    ["token rotated", "factory token rotated"],
    ["factory deregistered", "factory removed by an operator"],
  ])("%s: the job's line says so", async (reason, said) => {
    const agent = tempAgent(rest.url);
    try {
      let opts: ConnectionOptions | undefined;
      let conn: FakeConnection | undefined;
      const sup = new Supervisor({
        cfg: agent.cfg,
        out: agent.out,
        engines: agent.engines,
        hello: { capabilities: [], seats: 1, engines: ["sample"], agentVersion: "test" },
        connect: (o) => {
          opts = o;
          conn = new FakeConnection(o);
          return conn.asConnection();
        },
      });
      const exited = sup.run();
      (conn as FakeConnection).welcome([assignment("job_rot", "gf-sample-seconds: 30\n")]);
      await until("the engine", () => agent.events.some((e) => e.event === "job.start" && e.jobId === "job_rot"));
      const verdict = closeVerdict(CLOSE.revoked, reason);
      if (verdict.kind !== "fatal") throw new Error("not fatal");
      opts?.handlers.onFatal(verdict.error);
      expect(await exited).toBe(3);
      const line = agent.events.find((e) => e.event === "job.lease_lost" && e.jobId === "job_rot");
      expect(String(line?.message)).toContain(`job_rot lease lost: ${said} — engine stopped`);
      expect(String(line?.message)).not.toMatch(/factory revoked/);
    } finally {
      agent.remove();
    }
  });
});
