// Seats against a fake coordinator, with the real sample engine, git workspaces and job records: a run that loses its
// lease at any await publishes and reports nothing; a seat whose lease is lost frees its place at once (its engine
// still stopped), so the jobs a reconnect brings are taken rather than bounced; and an engine an earlier, SIGKILLed
// process left running for a job no longer leased here is stopped after welcome — only when provably ours.
import { describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { FrameError } from "../../src/agent/connection.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import {
  assignment,
  FakeConnection,
  fakeSupervisor,
  seatContext,
  straySleeper,
  tempAgent,
  until,
  useArtifactServer,
} from "./agent-fakes.ts";

const rest = useArtifactServer();

function seat(conn: FakeConnection, agent: ReturnType<typeof tempAgent>, id: string, body: string) {
  const ctx = seatContext(conn, agent, rest.url);
  return { runner: new SeatRunner(ctx, assignment(id, body), false), records: ctx.records };
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

const accepted = (conn: FakeConnection, jobId: string, leaseEpoch = 1) =>
  conn.frames("accept").some((f) => f.type === "accept" && f.jobId === jobId && f.leaseEpoch === leaseEpoch);
const released = (conn: FakeConnection) => conn.frames("release").map((f) => (f.type === "release" ? f.reason : ""));

describe("a seat stopped by the coordinator", () => {
  it("says the checkpoint is kept, naming it, when there is one — not that the work was discarded", async () => {
    const agent = tempAgent(rest.url, { checkpointIntervalMs: 200 });
    try {
      const conn = new FakeConnection();
      const { runner } = seat(conn, agent, "job_budget", "gf-sample-seconds: 30\n");
      const announced = await until("a WIP checkpoint announced", () =>
        conn.frames("progress").find((f) => f.type === "progress" && f.checkpoint),
      );
      const checkpoint = announced.type === "progress" ? announced.checkpoint : undefined;
      // The coordinator's budget check cancels the job (it keeps the recorded checkpoint for history and a retry).
      runner.abandon("budget exceeded: $1.00 spent of $1.00", true);
      await runner.finished;
      const line = agent.events.find((e) => e.event === "job.cancelled");
      expect(line?.message).toContain(`checkpoint ${checkpoint?.sha?.slice(0, 12)} kept on ${checkpoint?.branch}`);
      expect(line?.message).not.toContain("engine stopped, work discarded");
    } finally {
      agent.remove();
    }
  });
});

describe("a seat whose lease is lost", () => {
  it("frees its place at once: the job a reconnect pushes is taken, not released for want of a seat", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      conn.welcome();
      conn.push({ type: "assign", assignments: [assignment("job_old", "gf-sample-seconds: 30\n")] });
      const pid = await until("the first engine", () => records.read("job_old")?.enginePid);
      // A reconnect after the lease lapsed (the agent was SIGSTOPped past its TTL): welcome no longer lists it, and
      // the coordinator pushes the next job in the same breath.
      conn.welcome();
      conn.push({ type: "assign", assignments: [assignment("job_new", "gf-sample-seconds: 30\n")] });
      await until("job_new accepted or released", () => accepted(conn, "job_new") || released(conn).length > 0);
      expect(released(conn)).toEqual([]);
      expect(accepted(conn, "job_new")).toBe(true);
      // The abandoned engine is still stopped (SIGTERM, SIGKILL after 2 s): the overlap is bounded.
      await until("the old engine gone", () => !isRunning(pid), 5_000);
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("a job leased again under a newer epoch while its old run winds down is run once that run has ended", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      conn.welcome();
      conn.push({ type: "assign", assignments: [assignment("job_again", "gf-sample-seconds: 30\n", 1)] });
      await until("the first engine", () => records.read("job_again")?.enginePid);
      conn.push({ type: "assign", assignments: [assignment("job_again", "gf-sample-seconds: 30\n", 2)] });
      await until("epoch 2 accepted", () => accepted(conn, "job_again", 2));
      expect(agent.events.some((e) => e.event === "job.lease_lost" && e.leaseEpoch === 1)).toBe(true);
    } finally {
      await stop();
      agent.remove();
    }
  });
});

describe.runIf(process.platform === "linux")("engines left by an earlier agent process", () => {
  it("after welcome, stops the engine of a job no longer leased here and forgets it; a pid not provably ours lives", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const pids: number[] = [];
    try {
      const { conn, records, stop } = fakeSupervisor(agent);
      // The agent was SIGKILLed mid-run; meanwhile the coordinator gave the job to another host.
      const orphan = straySleeper(jobDir(agent.cfg.workDir, "job_gone"));
      // A record whose pid now belongs to some other process (not in that job's workspace): never signalled.
      const stranger = straySleeper(agent.dir);
      pids.push(orphan, stranger);
      const at = Date.now();
      records.write({ jobId: "job_gone", leaseEpoch: 3, attempt: 1, startedAt: at, enginePid: orphan });
      records.write({ jobId: "job_recycled", leaseEpoch: 1, attempt: 1, startedAt: at, enginePid: stranger });
      conn.welcome();
      await until("the orphan stopped", () => !isRunning(orphan), 5_000);
      expect(isRunning(stranger)).toBe(true);
      expect(records.read("job_gone")).toBeUndefined();
      expect(records.read("job_recycled")).toBeUndefined();
      expect(agent.events.find((e) => e.event === "engine.reaped")).toMatchObject({ jobId: "job_gone", pid: orphan });
      await stop();
    } finally {
      for (const pid of pids) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      agent.remove();
    }
  });
});
