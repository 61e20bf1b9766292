// One seat's run against a fake coordinator, with the real sample engine, git workspaces and job records: a run that
// loses its lease at any await publishes and reports nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameError } from "../../src/agent/connection.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { JobRecords } from "../../src/agent/state.ts";
import { artifactServer, assignment, FakeConnection, tempAgent } from "./agent-fakes.ts";

let rest: Awaited<ReturnType<typeof artifactServer>>;
beforeAll(async () => {
  rest = await artifactServer();
});
afterAll(() => rest.close());

function seat(conn: FakeConnection, agent: ReturnType<typeof tempAgent>, id: string, body: string) {
  const records = new JobRecords(agent.cfg.stateDir);
  const ctx = {
    conn: conn.asConnection(),
    cfg: agent.cfg,
    out: agent.out,
    records,
    engines: agent.engines,
    rest: { url: rest.url, product: "p", token: "gf_test" },
  };
  return { runner: new SeatRunner(ctx, assignment(id, body), false), records };
}

describe("a seat whose lease is lost at the end of its run", () => {
  it("uploads no artifacts and sends no report when the final checkpoint is fenced", async () => {
    const agent = tempAgent(rest.url);
    try {
      const conn = new FakeConnection();
      // The final checkpoint's announcement is the first checkpoint this run makes (the interval is 60 s): the
      // coordinator answers it `fenced`, as it does once a newer process of this factory holds the lease.
      conn.answer = (f) => {
        if (f.type === "progress" && f.checkpoint) throw new FrameError("fenced", "lease epoch 1 is not current");
        return {};
      };
      const { runner, records } = seat(conn, agent, "job_fenced", "gf-sample-seconds: 0\n");
      await runner.finished;
      expect(agent.events.map((e) => e.event)).toContain("job.lease_lost");
      expect(rest.uploads.filter((u) => u.includes("job_fenced"))).toEqual([]);
      expect(conn.frames("complete").concat(conn.frames("fail"))).toEqual([]);
      expect(records.read("job_fenced")?.report).toBeUndefined();
    } finally {
      agent.remove();
    }
  });
});
