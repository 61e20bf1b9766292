// A run the coordinator took away (a cancel) says `stopped` once its engine has exited — never before, so the job's
// serial key, which the coordinator keeps held until then (core/serial-holds), never opens beside a live engine —
// and only to a coordinator that announced FEATURES.stopped (an older one would refuse the frame). A finished run whose
// report is refused as fenced (its lease was taken, the cancel missed) says it too: its engine has exited — and sends
// its spend no second time, the fenced report having carried it (agent/seat-lease `reportSpend`).
import { describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { FrameError, type OutFrame } from "../../src/agent/connection.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** A seat running the sample engine for 30 s, cancelled once the engine runs; what the coordinator was sent. */
async function cancelRunning(features: string[]) {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url, { features: () => new Set(features) });
    let pid: number | undefined;
    let engineAliveAtStopped: boolean | undefined;
    conn.answer = (f) => {
      if (f.type === "stopped" && pid !== undefined) engineAliveAtStopped = isRunning(pid);
      return {};
    };
    const runner = new SeatRunner(ctx, assignment("job_cut", "gf-sample-seconds: 30\n"), false);
    pid = await until("the engine", () => ctx.records.read("job_cut")?.enginePid);
    runner.abandon("cancel by operator:alice", true);
    await runner.finished;
    return { stopped: conn.frames("stopped"), engineAliveAtStopped };
  } finally {
    agent.remove();
  }
}

describe("a cancelled seat", () => {
  it("sends `stopped` for its lease once the engine has exited", async () => {
    const { stopped, engineAliveAtStopped } = await cancelRunning([FEATURES.stopped]);
    expect(stopped).toEqual([{ type: "stopped", jobId: "job_cut", leaseEpoch: 1 }]);
    expect(engineAliveAtStopped).toBe(false);
  });

  it("sends nothing to a coordinator that does not announce the feature", async () => {
    expect((await cancelRunning([])).stopped).toEqual([]);
  });
});

describe("a finished seat whose report is refused as fenced", () => {
  it("sends `stopped` for its lease (taken; the engine has exited), not the spend its fenced report carried", async () => {
    const agent = tempAgent(rest.url);
    try {
      const conn = new FakeConnection();
      conn.answer = (f) => {
        if (f.type === "complete" || f.type === "fail") throw new FrameError("fenced", "lease epoch 3 is gone");
        // No log batch nor checkpoint answered: the fenced report is the only frame whose spend the coordinator charged.
        if (f.type === "progress" && (f.logs || f.checkpoint)) throw new FrameError("timeout", "no answer to progress");
        return {};
      };
      const ctx = seatContext(conn, agent, rest.url, { features: () => new Set([FEATURES.stopped]) });
      const runner = new SeatRunner(ctx, assignment("job_fen", "gf-sample-seconds: 0\n", 3), false);
      await runner.finished;
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_fen", leaseEpoch: 3 }]);
      // Its spend was in the fenced report, which the coordinator charged (policies/late-spend): not sent again.
      const report = conn.finalReport("job_fen") as OutFrame;
      expect(conn.sent.slice(conn.sent.lastIndexOf(report) + 1)).toEqual(conn.frames("stopped"));
    } finally {
      agent.remove();
    }
  });
});
