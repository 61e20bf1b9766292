// The coordinator's `cancel` is fenced by lease epoch on the agent too (agent/supervisor): the "lease expired" cancel
// the coordinator now sends a connected holder (factories/notices) names the epoch that expired, and reaches an agent
// that may already run the job again under a newer lease. A cancel for an older epoch than the seat runs leaves that
// seat's engine running (said `stopped` for the old epoch only), while one for the seat's own epoch stops it; a
// cancel arriving after the run's report was answered `fenced` sends no second report, logs no error, and keeps
// no later lease of the same job from running.
import { describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { FrameError } from "../../src/agent/connection.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import { assignment, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("a cancel for a job this agent runs", () => {
  it("for an older epoch than its seat runs is not that seat's: the engine runs on until its own cancel", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { features: [FEATURES.stopped] });
      conn.push({ type: "assign", assignments: [assignment("job_ep", "gf-sample-seconds: 30\n", 5)] });
      const pid = await until("the engine", () => records.read("job_ep")?.enginePid);
      conn.push({ type: "cancel", jobId: "job_ep", leaseEpoch: 4, reason: "lease expired" });
      const ended = () => agent.events.filter((e) => e.event === "job.cancelled" || e.event === "job.lease_lost");
      expect(ended()).toEqual([]);
      expect(isRunning(pid)).toBe(true);
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_ep", leaseEpoch: 4 }]);
      conn.push({ type: "cancel", jobId: "job_ep", leaseEpoch: 5, reason: "lease expired" });
      expect(ended()).toMatchObject([{ event: "job.cancelled", leaseEpoch: 5 }]);
      await until("stopped 5", () => conn.frames("stopped").length > 1);
      expect(conn.frames("stopped")[1]).toEqual({ type: "stopped", jobId: "job_ep", leaseEpoch: 5 });
      expect(conn.sent.filter((f) => f.type === "complete" || f.type === "fail")).toEqual([]);
      await stop();
    } finally {
      agent.remove();
    }
  });

  it("after its report was answered `fenced` reports nothing again, and a newer lease of the job still runs", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.answer = (f) => {
        if (f.type === "complete" && f.leaseEpoch === 1) throw new FrameError("fenced", "lease epoch 1 is not current");
        return {};
      };
      conn.welcome([], { features: [FEATURES.stopped] });
      conn.push({ type: "assign", assignments: [assignment("job_fe", "gf-sample-seconds: 0\n", 1)] });
      await until("stopped 1", () => conn.frames("stopped").length > 0);
      conn.push({ type: "cancel", jobId: "job_fe", leaseEpoch: 1, reason: "lease expired" });
      conn.push({ type: "assign", assignments: [assignment("job_fe", "gf-sample-seconds: 0\n", 2)] });
      const reports = () => conn.sent.filter((f) => f.type === "complete" || f.type === "fail");
      await until("the new lease's report", () => reports().some((f) => f.leaseEpoch === 2));
      expect(reports().map((f) => [f.type, f.leaseEpoch])).toEqual([
        ["complete", 1],
        ["complete", 2],
      ]);
      expect(agent.events.filter((e) => e.event === "job.not_started" || e.event === "job.error")).toEqual([]);
      await stop();
    } finally {
      agent.remove();
    }
  });
});
