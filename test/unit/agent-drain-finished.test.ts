// A drain's release never gives back a run whose engine had already exited on its own: that run has its outcome (the
// work done and paid for), and giving it back ran the job again elsewhere. Reported instead, through the usual end
// (final checkpoint, diff, `complete`), in both windows a release can land in after a clean exit: while the engine's
// pipes are still read (a process it started holds its stdout, up to the 2 s stdio drain; agent/engine-runner) and
// while the final checkpoint is being taken (agent/seat-run-end `wrapUp`). An engine still running at the release is
// given back as before (test/unit/agent-release-undelivered). Real SeatRunner, engine and git workspace, fake
// coordinator connection (test/unit/agent-fakes).
import { describe, expect, it } from "vitest";
import type { OutFrame } from "../../src/agent/connection.ts";
import { quoteWord } from "../../src/agent/engines.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { JobRecords } from "../../src/agent/state.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

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
