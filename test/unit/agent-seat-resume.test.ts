// Resuming a job starts from the checkpoint the coordinator recorded — not whatever its WIP branch holds now — and
// says so (`job.resume_mismatch`) when the sources (the record, the branch as fetched, this host's own job record)
// disagree, in words true for what this host found (a recorded commit not on its fetched branch); a branch on no
// source this host can fetch (another host's checkpoints.git) with nothing else disagreeing is told as info, not
// warned. The decision is pure (agent/resume-point); the workspaces and the seat use real git in temp dirs.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { decideResumePoint, sameCommit } from "../../src/agent/resume-point.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { artifactServer, assignment, FakeConnection, seatContext, tempAgent } from "./agent-fakes.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
const branch = "gf/wip/job_x-e1";

describe("the resume decision", () => {
  it("takes the recorded sha when the branch holds it, and says when the branch tip is elsewhere", () => {
    expect(decideResumePoint({ recorded: { branch, sha: A }, branchTip: A, recordedAvailable: true })).toEqual({
      sha: A,
      from: "recorded",
    });
    const ahead = decideResumePoint({ recorded: { branch, sha: A }, branchTip: B, recordedAvailable: true });
    expect(ahead).toMatchObject({ sha: A, from: "recorded" });
    expect(ahead.mismatch).toBe(
      `coordinator recorded ${A.slice(0, 12)} on ${branch}; branch ${branch} is at ${B.slice(0, 12)}: resuming from ${A.slice(0, 12)} (recorded)`,
    );
  });

  it("falls back to the branch tip only when the recorded sha is gone from it (or none was recorded)", () => {
    const gone = decideResumePoint({ recorded: { branch, sha: A }, branchTip: B, recordedAvailable: false });
    expect(gone).toMatchObject({ sha: B, from: "branch_tip" });
    expect(gone.mismatch).toMatch(/is not on its branch.*resuming from b{12} \(branch tip\)/);
    expect(decideResumePoint({ recorded: { branch }, branchTip: B, recordedAvailable: false })).toEqual({
      sha: B,
      from: "branch_tip",
    });
    const away = decideResumePoint({ recorded: { branch, sha: A }, recordedAvailable: false });
    expect(away).toMatchObject({ sha: undefined, from: "none" });
    // Out of reach, nothing disagreeing: a routine retry on another host, told as info (it warned, pass 43).
    expect(away.mismatch).toBeUndefined();
    expect(away.notice).toBe(
      `coordinator recorded ${A.slice(0, 12)} on ${branch}; branch ${branch} is on no source this host can fetch, ` +
        `nor is its checkpoint ${A.slice(0, 12)} here (a checkpoint another host kept in its own checkpoints.git is ` +
        "out of this one's reach): starting fresh",
    );
    expect(decideResumePoint({ recordedAvailable: false })).toEqual({ sha: undefined, from: "none" });
  });

  it("says a recorded branch this host cannot find, with no sha recorded, instead of starting fresh without a word", () => {
    expect(decideResumePoint({ recorded: { branch }, recordedAvailable: false }).notice).toBe(
      `coordinator recorded none on ${branch}; branch ${branch} is on no source this host can fetch (a checkpoint ` +
        "another host kept in its own checkpoints.git is out of this one's reach): starting fresh",
    );
    // Out of reach and this host's own record of the same lease says otherwise: that is a disagreement, warned.
    const both = decideResumePoint({
      recorded: { branch, sha: A },
      recordedAvailable: false,
      local: { branch, sha: C },
    });
    expect(both.notice).toBeUndefined();
    expect(both.mismatch).toMatch(
      /on no source this host can fetch.*; this host last had c{12} acknowledged.*starting fresh/,
    );
  });

  it("checks this host's record of the same lease's branch, and ignores an older lease's", () => {
    const same = decideResumePoint({
      recorded: { branch, sha: A },
      branchTip: A,
      recordedAvailable: true,
      local: { branch, sha: C },
    });
    expect(same.mismatch).toMatch(/this host last had c{12} acknowledged/);
    const older = { branch: "gf/wip/job_x-e0", sha: C };
    expect(
      decideResumePoint({ recorded: { branch, sha: A }, branchTip: A, recordedAvailable: true, local: older }),
    ).toEqual({ sha: A, from: "recorded" });
    expect(decideResumePoint({ recordedAvailable: false, local: older }).mismatch).toMatch(/starting fresh/);
  });

  it("treats an abbreviated recorded sha as the same commit", () => {
    expect(sameCommit(A.slice(0, 7), A)).toBe(true);
    expect(
      decideResumePoint({ recorded: { branch, sha: A.slice(0, 9) }, branchTip: A, recordedAvailable: true }),
    ).toEqual({ sha: A.slice(0, 9), from: "recorded" });
  });
});

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-resume-"));
let rest: Awaited<ReturnType<typeof artifactServer>>;
beforeAll(async () => {
  rest = await artifactServer();
});
afterAll(async () => {
  await rest.close();
  rmSync(root, { recursive: true, force: true });
});

/** Two checkpoints of job `id` on its epoch-1 branch of `remote`: `c1` (recorded) and `c2` (pushed, never announced). */
async function twoCheckpoints(id: string, remote: string): Promise<{ c1: string; c2: string; branch: string }> {
  const host = { workDir: path.join(root, `first-${id}`), checkpointRemote: remote };
  const ws = await prepareWorkspace({ id, title: id, attempt: 1, leaseEpoch: 1, budget: {} } as Job, host);
  writeFileSync(path.join(ws.dir, "one.txt"), "recorded\n");
  const c1 = (await snapshot(ws, undefined, "c1", false)).sha;
  const pushed = await pushCheckpoint(ws, c1);
  writeFileSync(path.join(ws.dir, "two.txt"), "pushed, never announced\n");
  const c2 = (await snapshot(ws, c1, "c2", false)).sha;
  await pushCheckpoint(ws, c2);
  return { c1, c2, branch: pushed.branch };
}

describe("resuming a workspace", () => {
  it("starts from the recorded checkpoint, not from a branch tip that moved past it, and names the mismatch", async () => {
    const remote = path.join(root, "remote-1.git");
    const { c1, c2, branch: b } = await twoCheckpoints("job_r1", remote);
    const host = { workDir: path.join(root, "second"), checkpointRemote: remote };
    const job = {
      id: "job_r1",
      title: "t",
      attempt: 2,
      leaseEpoch: 2,
      budget: {},
      checkpoint: { branch: b, sha: c1, at: 0 },
    };
    const ws = await prepareWorkspace(job as Job, host);
    expect(ws.resumedFrom).toBe(c1);
    expect(existsSync(path.join(ws.dir, "one.txt"))).toBe(true);
    expect(existsSync(path.join(ws.dir, "two.txt"))).toBe(false);
    expect(ws.resumeMismatch).toContain(`is at ${c2.slice(0, 12)}`);
    // Agreeing sources: no mismatch.
    const agreed = await prepareWorkspace({ ...job, checkpoint: { branch: b, sha: c2, at: 0 } } as Job, host);
    expect(agreed.resumedFrom).toBe(c2);
    expect(agreed.resumeMismatch).toBeUndefined();
  });

  it("a seat resuming from a mismatching point emits a job.resume_mismatch warning", async () => {
    const agent = tempAgent(rest.url);
    try {
      const { c1, branch: b } = await twoCheckpoints("job_r2", agent.cfg.checkpointRemote);
      const conn = new FakeConnection();
      const ctx = seatContext(conn, agent, rest.url);
      const a = assignment("job_r2", "gf-sample-seconds: 0\n", 2, { checkpoint: { branch: b, sha: c1, at: 0 } });
      await new SeatRunner(ctx, a, false).finished;
      const warning = agent.events.find((e) => e.event === "job.resume_mismatch");
      expect(warning).toMatchObject({ level: "warn", jobId: "job_r2", resumedFrom: c1 });
      expect(String(warning?.message)).toMatch(/resume sources disagree: coordinator recorded/);
      // The acknowledged checkpoint of this run is in the job record, for the next resume to check against.
      const announced = conn.frames("progress").filter((f) => f.type === "progress" && f.checkpoint);
      const last = announced.at(-1);
      const sha = last?.type === "progress" ? last.checkpoint?.sha : undefined;
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      expect(ctx.records.read("job_r2")?.checkpoint).toEqual({ branch: "gf/wip/job_r2-e2", sha });
    } finally {
      agent.remove();
    }
  });
});
