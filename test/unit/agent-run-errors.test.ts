// A seat whose run hits an agent-side error (a disk that is full, a log too big to read) still ends its job: the
// engine is stopped — it must not run on, and spend, under a lease nobody renews — and the coordinator gets a
// retryable failure saying why, instead of a lease left to lapse. And a huge job log is uploaded by its tail without
// reading the whole file: one over 2 GiB made the read throw, the run ended with no report at all. The file itself is
// bounded too: a runaway engine's log filled the state dir's disk; past its cap it rotates, keeping its tail.
import { existsSync, readdirSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { JobLog, MAX_LOG_ARTIFACT_BYTES } from "../../src/agent/job-log.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import {
  assignment,
  FakeConnection,
  failEnginePidWrite,
  seatContext,
  tempAgent,
  until,
  useArtifactServer,
} from "./agent-fakes.ts";

const rest = useArtifactServer();

it("a job log over 2 GiB is uploaded by its last 25 MiB, with a note, not read whole", async () => {
  const agent = tempAgent(rest.url);
  try {
    const log = new JobLog(path.join(agent.dir, "big.log"), () => undefined);
    log.write("stdout", "first line");
    await log.close();
    truncateSync(log.file, 3 * 2 ** 30); // sparse: no disk used
    const text = log.text();
    expect(text.startsWith("[agent] log truncated: first ")).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_LOG_ARTIFACT_BYTES);
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_LOG_ARTIFACT_BYTES - 300);
  } finally {
    agent.remove();
  }
});

it("the job log on disk stays bounded: past its cap it rotates, keeping the tail, and the feed gets every line", async () => {
  const agent = tempAgent(rest.url);
  try {
    const dir = path.join(agent.dir, "logs");
    let fed = 0;
    const feed = (lines: unknown[]) => {
      fed += lines.length;
    };
    const log = new JobLog(path.join(dir, "runaway.log"), feed, { segmentBytes: 10_000 });
    const line = (i: number) => `line ${i} ${"x".repeat(40)}`;
    for (let i = 0; i < 5_000; i++) log.write("stdout", line(i)); // ~250 kB
    await log.close();
    const onDisk = readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(2 * 10_000 + 100);
    const text = log.text();
    const [note, ...kept] = text.split("\n");
    const total = Array.from({ length: 5_000 }, (_, i) => Buffer.byteLength(`${line(i)}\n`)).reduce((a, b) => a + b);
    expect(note).toBe(`[agent] log truncated: first ${total - Buffer.byteLength(kept.join("\n"))} bytes dropped`);
    expect(text.endsWith(`${line(4_998)}\n${line(4_999)}\n`)).toBe(true);
    expect(fed).toBe(5_000);
    log.remove();
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    agent.remove();
  }
});

it("a run whose job log grew past 2 GiB still reports its outcome", async () => {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const runner = new SeatRunner(
      seatContext(conn, agent, rest.url),
      assignment("job_biglog", "gf-sample-seconds: 2\n"),
      false,
    );
    const file = path.join(agent.cfg.stateDir, "logs", "job_biglog-a1.log");
    await until("the engine's start", () => conn.frames("accept").length > 0 && runner);
    await until("the job log", () => {
      try {
        truncateSync(file, 3 * 2 ** 30);
        return true;
      } catch {
        return false;
      }
    });
    await runner.finished;
    expect(conn.finalReport("job_biglog")?.type).toBe("complete");
    expect(agent.events.map((e) => e.event)).not.toContain("job.error");
  } finally {
    agent.remove();
  }
});

it("an error of the agent while the engine runs stops the engine and reports a retryable failure", async () => {
  const agent = tempAgent(rest.url);
  const conn = new FakeConnection();
  const ctx = seatContext(conn, agent, rest.url);
  const full = failEnginePidWrite(ctx.records); // the disk fills up as the engine starts: recording its pid fails
  try {
    const runner = new SeatRunner(ctx, assignment("job_enospc", "gf-sample-seconds: 30\n"), false);
    await runner.finished;
    expect(full.pid()).toBeDefined();
    expect(isRunning(full.pid() as number)).toBe(false);
    const report = conn.finalReport("job_enospc");
    expect(report?.type).toBe("fail");
    const result = report?.type === "fail" ? report.result : undefined;
    expect(result?.outcome).toBe("failure");
    expect(result?.message).toMatch(/^agent error: ENOSPC: no space left on device/);
    expect(result?.retryable).not.toBe(false);
    expect(agent.events.find((e) => e.event === "job.error")).toMatchObject({ level: "error", jobId: "job_enospc" });
    expect(existsSync(jobDir(agent.cfg.workDir, "job_enospc"))).toBe(false);
  } finally {
    full.killGroup();
    agent.remove();
  }
});
