// A final checkpoint that cannot commit the workspace is not a silent success (agent/seat-runner,
// agent/wip-checkpointer): the engine's last work is in no commit, so neither in diff.patch nor in a checkpoint.
// The report says so (a success becomes a retryable failure) and the operator is warned; the workspace, where that
// work still is, is kept for the operator (agent/kept-workspaces) out of the retry's way, and the warning says where.
// A drained job's final checkpoint is taken once (giveBack took it again: an extra empty commit, push and announcement).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { keptDir } from "../../src/agent/kept-workspaces.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import { artifactServer, assignment, FakeConnection, seatContext, tempAgent, until } from "./agent-fakes.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-final-cp-"));
let rest: Awaited<ReturnType<typeof artifactServer>>;
beforeAll(async () => {
  rest = await artifactServer();
});
afterAll(async () => {
  await rest.close();
  rmSync(root, { recursive: true, force: true });
});

it("an engine that leaves a workspace git cannot commit gets a failure report that says its work was not captured", async () => {
  // The engine writes its work, then breaks the workspace's repository (exits 0): the final checkpoint cannot commit.
  const script = path.join(root, "breaker.mjs");
  writeFileSync(
    script,
    'import { rmSync, writeFileSync } from "node:fs";\nwriteFileSync("work.txt", "done\\n");\nrmSync(".git", { recursive: true, force: true });\n',
  );
  const agent = tempAgent(rest.url);
  try {
    const engines = new Map([["sample", `${process.execPath} ${script}`]]);
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url, { engines });
    await new SeatRunner(ctx, assignment("job_fc1", "x"), false).finished;
    expect(conn.frames("complete")).toEqual([]);
    const [fail] = conn.frames("fail");
    const result = fail?.type === "fail" ? fail.result : undefined;
    expect(result?.outcome).toBe("failure");
    expect(result?.message).toMatch(/^work not captured: the final checkpoint failed \(.+\); .*nothing/);
    const kept = keptDir(agent.cfg.workDir, "job_fc1", 1);
    const warning = agent.events.find((e) => e.event === "job.work_not_captured");
    expect(warning).toMatchObject({ level: "warn", jobId: "job_fc1", lastCheckpoint: null, keptAt: kept });
    expect(warning?.message).toContain(`the workspace is kept at ${kept}`);
    // Not deleted after the report: moved out of the job's path (its retry may come here), the work in it.
    expect(readFileSync(path.join(kept, "work.txt"), "utf8")).toBe("done\n");
    expect(existsSync(jobDir(agent.cfg.workDir, "job_fc1"))).toBe(false);
    expect(agent.events.find((e) => e.event === "workspace.kept")).toMatchObject({ level: "warn", dir: kept });
  } finally {
    agent.remove();
  }
});

it("a drained job takes its final checkpoint once: one commit pushed and announced, then the job given back", async () => {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url);
    const runner = new SeatRunner(ctx, assignment("job_fc_drain", "gf-sample-seconds: 30\n"), false);
    await until("the engine's start", () => ctx.records.read("job_fc_drain")?.enginePid);
    await runner.release("drain timed out");
    const announced = conn.frames("progress").filter((f) => f.type === "progress" && f.checkpoint);
    expect(announced).toHaveLength(1);
    expect(conn.frames("release")).toHaveLength(1);
  } finally {
    agent.remove();
  }
});
