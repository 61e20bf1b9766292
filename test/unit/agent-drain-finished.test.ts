// A drain's release never gives back a run whose engine had already exited on its own: that run has its outcome (the
// work done and paid for), and giving it back ran the job again elsewhere. Reported instead, through the usual end
// (final checkpoint, diff, `complete`), in both windows a release can land in after a clean exit: while the engine's
// pipes are still read (a process it started holds its stdout, up to the 2 s stdio drain; agent/engine-runner) and
// while the final checkpoint is being taken (agent/seat-run-end `wrapUp`) — nor a lease whose engine exited before the
// agent restarted (its exit on record), which a `welcome` lists while the new process drains or its seats are full:
// it is finished from the record, not released as "draining" or "no free seat". An engine still running at the release is given back as before
// (test/unit/agent-release-undelivered). Real SeatRunner (or Supervisor), engine and git workspace, fake coordinator
// connection (test/unit/agent-fakes).
import { describe, expect, it } from "vitest";
import type { OutFrame } from "../../src/agent/connection.ts";
import { quoteWord } from "../../src/agent/engines.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { JobRecords } from "../../src/agent/state.ts";
import {
  assignment,
  FakeConnection,
  fakeSupervisor,
  seatContext,
  tempAgent,
  until,
  useArtifactServer,
} from "./agent-fakes.ts";

const rest = useArtifactServer();

/** Writes its work, and exits 0; with `hold`, first starts a process (in its group) that keeps its stdout open. */
const engine = (hold: boolean) => `
  require("node:fs").writeFileSync("done.txt", "work\\n");
  console.log("finished");
  ${hold ? `require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 60000)"], { stdio: ["ignore", "inherit", "inherit"] });` : ""}
  process.exit(0);`;

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

const isFinalCheckpoint = (f: OutFrame) =>
  f.type === "progress" && "checkpoint" in f && (f.checkpoint?.note ?? "").includes("(final)");

describe("a drain's release of a run whose engine exited 0", () => {
  it("while its pipes are still read: reported complete, not given back", async () => {
    const conn = new FakeConnection();
    const agent = tempAgent(rest.url);
    try {
      agent.engines.set("sample", `${quoteWord(process.execPath)} -e ${quoteWord(engine(true))}`);
      const runner = new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_done", "work\n", 4), false);
      const records = new JobRecords(agent.cfg.stateDir);
      const pid = await until("the engine's pid on record", () => records.read("job_done")?.enginePid);
      await until("the engine's exit", () => gone(pid));
      await runner.release("draining");
      expect(conn.frames("release")).toEqual([]);
      expect(conn.finalReport("job_done")).toMatchObject({ type: "complete", jobId: "job_done", leaseEpoch: 4 });
      expect(agent.events.map((e) => e.event)).not.toContain("job.released");
    } finally {
      agent.remove();
    }
  });

  it("while its final checkpoint is taken: reported complete, with that checkpoint, not given back", async () => {
    const conn = new FakeConnection();
    const agent = tempAgent(rest.url);
    try {
      agent.engines.set("sample", `${quoteWord(process.execPath)} -e ${quoteWord(engine(false))}`);
      let answerFinal: (v: unknown) => void = () => {};
      const held = new Promise((r) => {
        answerFinal = r;
      });
      conn.answer = (f) => (isFinalCheckpoint(f) ? held : {});
      const runner = new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_done", "work\n", 4), false);
      await until("the final checkpoint", () => conn.sent.some(isFinalCheckpoint));
      const released = runner.release("draining");
      answerFinal({});
      await released;
      expect(conn.frames("release")).toEqual([]);
      const report = conn.finalReport("job_done");
      expect(report).toMatchObject({ type: "complete", jobId: "job_done", leaseEpoch: 4 });
      const final = conn.sent.find(isFinalCheckpoint);
      expect(report && "checkpoint" in report && report.checkpoint?.sha).toBe(
        final && "checkpoint" in final && final.checkpoint?.sha,
      );
    } finally {
      agent.remove();
    }
  });
});

/** The record of a run whose engine exited (code 0, $2 spent) before the agent restarted: no workspace left. */
const ranRecord = (jobId: string, leaseEpoch: number) => {
  const outcome = { type: "complete" as const, result: { outcome: "success" as const, rc: 0 } };
  const engineExit = { at: Date.now(), how: "code 0", outcome, usage: { costUsd: 2 }, base: "a".repeat(40) };
  return { jobId, leaseEpoch, attempt: 1, startedAt: Date.now(), engineExit };
};

describe("a lease whose engine exited before the agent restarted", () => {
  it("welcomed with every seat taken: finished from its record, not released for want of a seat", async () => {
    const agent = tempAgent(rest.url);
    const sup = fakeSupervisor(agent);
    try {
      sup.records.write(ranRecord("job_ran", 3));
      sup.conn.welcome([assignment("job_busy", "gf-sample-seconds: 30\n", 1), assignment("job_ran", "work\n", 3)]);
      await until("job_ran's report", () => sup.conn.finalReport("job_ran"));
      expect(sup.conn.frames("release").filter((f) => "jobId" in f && f.jobId === "job_ran")).toEqual([]);
      expect(sup.conn.finalReport("job_ran")).toMatchObject({ type: "fail", leaseEpoch: 3, insights: { costUsd: 2 } });
    } finally {
      await sup.stop(); // job_busy's engine stopped and its job given back by the drain
      agent.remove();
    }
  });

  it("welcomed while the new process drains: finished from its record, not released", async () => {
    const agent = tempAgent(rest.url);
    try {
      const sup = fakeSupervisor(agent);
      let answerDrain: (v: unknown) => void = () => {};
      const drainHeld = new Promise((r) => {
        answerDrain = r;
      });
      sup.conn.answer = (f) => (f.type === "drain" ? drainHeld : {});
      const stopping = sup.stop(); // SIGTERM before the first welcome: draining when the lease comes
      await until("the drain frame", () => sup.conn.frames("drain").length > 0);
      sup.records.write(ranRecord("job_ran", 3));
      sup.conn.welcome([assignment("job_ran", "work\n", 3)]);
      answerDrain({});
      await stopping;
      expect(sup.conn.frames("release")).toEqual([]);
      // Its workspace is gone (none was made here): reported as work not captured, with the spend on record.
      expect(sup.conn.finalReport("job_ran")).toMatchObject({ type: "fail", leaseEpoch: 3, insights: { costUsd: 2 } });
    } finally {
      agent.remove();
    }
  });
});
