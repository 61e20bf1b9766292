// Proves a lease's TTL as the coordinator sends it cannot lapse a healthy run at once: an assignment with no
// `ttlSeconds` is refused before it starts (the lapse watch counted from NaN), and one far longer than Node's longest
// timer (2^31 − 1 ms, which Node fires after 1 ms instead) runs to its report, its lease never said lost.
import { describe, expect, it } from "vitest";
import { assignmentProblem } from "../../src/agent/assignment-guard.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { assignment, FakeConnection, seatContext, tempAgent, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("a lease's TTL as sent", () => {
  it("is required of an assignment, as a number of seconds ≥ 0", () => {
    const a = assignment("job_t", "gf-sample-seconds: 0\n");
    expect(assignmentProblem(a)).toBeUndefined();
    expect(assignmentProblem({ ...a, ttlSeconds: undefined })).toMatch(/^ttlSeconds: /);
    expect(assignmentProblem({ ...a, ttlSeconds: -1 })).toMatch(/^ttlSeconds: /);
  });

  it("past Node's longest timer does not lapse the lease: the run reports", async () => {
    const agent = tempAgent(rest.url);
    try {
      const conn = new FakeConnection();
      const a = { ...assignment("job_long", "gf-sample-seconds: 0\n"), ttlSeconds: 1e10 };
      await new SeatRunner(seatContext(conn, agent, rest.url), a, false).finished;
      expect(agent.events.filter((e) => e.event === "job.lease_lost")).toEqual([]);
      expect(conn.finalReport("job_long")).toMatchObject({ type: "complete" });
    } finally {
      agent.remove();
    }
  });
});
