// An agent killed after its engine exited but before the report was saved (the final checkpoint and the uploads take
// up to a minute each) does not pay for the engine again when it comes back within its lease: the exit is in the job
// record the moment it happens (outcome, usage), and the restarted seat finishes from it — final checkpoint, diff,
// log, report — with the spend the record holds, reported once: not the lease's `runSpent` added on top again. A
// workspace that is gone by then is reported as work not captured (a retryable failure), its log still uploaded.
// The "crash" is a first SeatRunner frozen in its final checkpoint's announcement, its files left as a SIGKILL
// leaves them; the second is a fresh SeatRunner on the same state and work dirs, as `welcome` resumes it.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { FrameError, type OutFrame } from "../../src/agent/connection.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** An engine that counts its runs in `runs`, writes its work, reports $3 and 1,000 tokens, and exits 0. */
function countingEngine(dir: string): { engines: Map<string, string>; runs: string } {
  const runs = path.join(dir, "runs.txt");
  const script = path.join(dir, "counting-engine.mjs");
  writeFileSync(
    script,
    `import { appendFileSync, writeFileSync } from "node:fs";
appendFileSync(${JSON.stringify(runs)}, "run\\n");
writeFileSync("work.txt", "paid for\\n");
console.log(JSON.stringify({ gf_insights: { tokensIn: 800, tokensOut: 200, costUsd: 3 } }));
`,
  );
  return { engines: new Map([["sample", `${process.execPath} ${script}`]]), runs };
}

const isCheckpoint = (f: OutFrame) => f.type === "progress" && f.checkpoint !== undefined;

/** Run job `id` until its engine exited and its final checkpoint is being announced; there it stays, as if killed. */
async function crashAfterExit(agent: ReturnType<typeof tempAgent>, id: string) {
  const { engines, runs } = countingEngine(agent.dir);
  const conn = new FakeConnection();
  let thaw = () => {};
  const frozen = new Promise<void>((r) => {
    thaw = r;
  });
  conn.answer = (f) =>
    isCheckpoint(f)
      ? frozen.then(() => {
          throw new FrameError("disconnected", "test over");
        })
      : {};
  const ctx = seatContext(conn, agent, rest.url, { engines });
  const a = assignment(id, "do the work", 1);
  const first = new SeatRunner(ctx, a, false);
  await until("the final checkpoint's announcement", () => conn.sent.some(isCheckpoint));
  const end = async () => {
    first.abandon("test over", false);
    thaw();
    await first.finished;
  };
  // What a restart finds: `welcome` lists the lease, building, with the spend the coordinator saw ($3: all of it).
  const resumed = { ...a, job: { ...a.job, stage: "building" as const }, runSpent: { usd: 3, tokens: 1000 } };
  return { engines, runs, record: ctx.records.read(id), resumed, end };
}

it("a restart after the engine exited finishes from the record: the engine is not run again, its spend reported once", async () => {
  const agent = tempAgent(rest.url);
  const crashed = await crashAfterExit(agent, "job_exit1");
  try {
    expect(crashed.record?.engineExit).toMatchObject({
      outcome: { type: "complete", result: { outcome: "success", rc: 0 } },
      usage: { costUsd: 3, tokensIn: 800, tokensOut: 200 },
    });
    expect(crashed.record?.report).toBeUndefined();
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url, { engines: crashed.engines });
    await new SeatRunner(ctx, crashed.resumed, true).finished;
    expect(readFileSync(crashed.runs, "utf8")).toBe("run\n");
    const report = conn.finalReport("job_exit1");
    expect(report?.type).toBe("complete");
    const insights = report?.type === "complete" ? report.insights : undefined;
    // $3, not $6: the record's usage already holds the run's spend; the coordinator charges what it adds over $3.
    expect(insights).toMatchObject({ costUsd: 3, tokensIn: 800, tokensOut: 200, diffStat: { files: 1 } });
    expect(report?.type === "complete" ? report.checkpoint?.sha : undefined).toMatch(/^[0-9a-f]{40}$/);
    expect(conn.frames("progress").filter(isCheckpoint)).toHaveLength(1);
    const uploads = rest.uploads.filter((u) => u.includes("job_exit1"));
    expect(uploads.some((u) => u.includes("diff.patch"))).toBe(true);
    expect(uploads.some((u) => u.includes("log.txt"))).toBe(true);
    expect(ctx.records.read("job_exit1")?.ended).toBeDefined();
    expect(agent.events.map((e) => e.event)).not.toContain("job.error");
  } finally {
    await crashed.end();
    agent.remove();
  }
});

it("a restart after the engine exited whose workspace is gone reports the outcome as work not captured, once", async () => {
  const agent = tempAgent(rest.url);
  const crashed = await crashAfterExit(agent, "job_exit2");
  try {
    rmSync(jobDir(agent.cfg.workDir, "job_exit2"), { recursive: true, force: true });
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url, { engines: crashed.engines });
    await new SeatRunner(ctx, crashed.resumed, true).finished;
    expect(readFileSync(crashed.runs, "utf8")).toBe("run\n");
    const report = conn.finalReport("job_exit2");
    expect(report?.type).toBe("fail");
    const result = report?.type === "fail" ? report.result : undefined;
    expect(result?.outcome).toBe("failure");
    expect(result?.retryable).not.toBe(false);
    expect(result?.message).toMatch(/work not captured: the workspace was gone when the agent restarted/);
    expect(report?.type === "fail" ? report.insights : undefined).toEqual({
      costUsd: 3,
      tokensIn: 800,
      tokensOut: 200,
    });
    const uploads = rest.uploads.filter((u) => u.includes("job_exit2"));
    expect(uploads.some((u) => u.includes("log.txt"))).toBe(true);
    expect(uploads.some((u) => u.includes("diff.patch"))).toBe(false);
    expect(agent.events.find((e) => e.event === "job.work_not_captured")).toMatchObject({ jobId: "job_exit2" });
  } finally {
    await crashed.end();
    agent.remove();
  }
});
