// A connection that ends for good ends each running job with a line saying what the agent knows: the coordinator
// closed its connection for good, and why (a token rotated is `factory token rotated`, a factory removed `factory
// removed by an operator` — both read `factory revoked`, from the close's code alone), then what becomes of the lease
// as far as that reason tells. Not `lease lost`, which it never checked: a rotated token's or a taken-over factory's
// lease stays the factory's (the agent with the new token, or the one that took over, resumes it), and a refused
// token says nothing of which it was. Event `job.connection_closed`; a revoke or removal's `cancel`, when it came
// first, still says `job.lease_lost` (the coordinator said so: test/unit/agent-lease-notices). Each end also says
// whether the lease may stay the factory's (`leaseMayStay`): false only where its words say the lease ended.
import { describe, expect, it } from "vitest";
import { ConnectionEnded, closeVerdict, refusalVerdict, type Verdict } from "../../src/agent/close-codes.ts";
import type { ConnectionOptions } from "../../src/agent/connection.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { CLOSE } from "../../src/shared/protocol.ts";
import { assignment, FakeConnection, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

const refused = refusalVerdict(
  401,
  JSON.stringify({ type: "about:blank", title: "t", detail: "bad token", code: "unauthorized" }),
  {
    contentType: "application/problem+json",
  },
);

describe("a fatal close with a job running", () => {
  it.each<[string, Verdict, RegExp]>([
    [
      "token rotated",
      closeVerdict(CLOSE.revoked, "token rotated"),
      /^job_rot stopped: the coordinator closed this agent's connection for good \(factory token rotated\) — engine stopped, work discarded; its lease stays this factory's until it expires, then the job goes back to the queue; the agent started with the new token before then resumes it$/,
    ],
    [
      "factory deregistered",
      closeVerdict(CLOSE.revoked, "factory deregistered"),
      /^job_rot stopped: the coordinator closed this agent's connection for good \(factory removed by an operator\) — engine stopped, work discarded; its lease ended with the factory: the job goes back to the queue$/,
    ],
    [
      "factory token revoked",
      closeVerdict(CLOSE.revoked, "factory token revoked"),
      /\(factory revoked\) — engine stopped, work discarded; its lease ended with the token: the job goes back to the queue$/,
    ],
    [
      "replaced",
      closeVerdict(CLOSE.replaced, "replaced"),
      /\(another agent took this factory over\) — engine stopped, work discarded; its lease stays this factory's: the agent that took over resumes it, else the job goes back to the queue when the lease expires$/,
    ],
    [
      "token refused on reconnect",
      refused,
      /\(the coordinator refused this factory's token\) — engine stopped, work discarded; whether the coordinator still leases it is not known here: a revoked factory's jobs go back to the queue at once, a rotated token's stay leased to it until the lease expires$/,
    ],
  ])("%s: the job's line says what the agent knows, not `lease lost`", async (_case, verdict, said) => {
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
      if (verdict.kind !== "fatal") throw new Error("not fatal");
      opts?.handlers.onFatal(verdict.error);
      expect(await exited).toBe(3);
      const lines = agent.events.filter((e) => e.jobId === "job_rot" && e.level === "error");
      expect(lines).toEqual([
        expect.objectContaining({ event: "job.connection_closed", message: expect.stringMatching(said) }),
      ]);
      expect(String(lines[0]?.message)).not.toMatch(/lease lost/);
    } finally {
      agent.remove();
    }
  });
});

describe("whether a fatal close leaves the lease this factory's", () => {
  it.each<[string, Verdict, boolean]>([
    ["token rotated", closeVerdict(CLOSE.revoked, "token rotated"), true],
    ["factory deregistered", closeVerdict(CLOSE.revoked, "factory deregistered"), false],
    ["factory token revoked", closeVerdict(CLOSE.revoked, "factory token revoked"), false],
    ["an older coordinator's plain revoked", closeVerdict(CLOSE.revoked, "revoked"), true],
    ["replaced", closeVerdict(CLOSE.replaced, "replaced"), true],
    ["protocol error", closeVerdict(CLOSE.protocolError, "bad hello"), true],
    ["token refused on reconnect", refused, true],
  ])("%s: leaseMayStay %s, as its lease words say", (_case, verdict, mayStay) => {
    if (verdict.kind !== "fatal" || !(verdict.error instanceof ConnectionEnded))
      throw new Error("not an ended connection");
    expect(verdict.error.leaseMayStay).toBe(mayStay);
    expect(verdict.error.leases.includes("its lease ended")).toBe(!mayStay);
  });
});
