// A checkpoint branch the coordinator records is only a name it was told (any factory holding the lease reports
// one; a compromised coordinator says what it likes), so the agent acts on it only as far as it is this job's own
// WIP branch (`gf/wip/<jobId>-e<epoch>`, or the `gf/wip/<jobId>` older agents pushed). Real git in temp dirs, a real
// WipCheckpointer cycle (commit, push, announce, retire):
// - a recorded branch `release` is never deleted from the job's repository when the run "retires" what it resumed
//   from (it was: `git push origin :refs/heads/release` with the agent's push rights; only the remote's current
//   branch, which git itself refuses to delete, was safe);
// - another job's WIP branch on the host's shared checkpoint remote (every product's jobs push there) is neither
//   resumed from (its files reached this job's engine and diff.patch) nor deleted.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { isOwnWipBranch } from "../../src/agent/resume-point.ts";
import { WipCheckpointer } from "../../src/agent/wip-checkpointer.ts";
import { prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-foreign-wip-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const host = {
  workDir: path.join(root, "w"),
  checkpointRemote: path.join(root, "checkpoints.git"),
  allowLocalRepos: true,
};

const job = (id: string, extra: Partial<Job> = {}): Job =>
  ({ id, title: id, bodyMd: "", attempt: 2, leaseEpoch: 2, budget: {}, ...extra }) as Job;

/** One checkpoint cycle of a run in `ws`, as the seat runs it: commit a change, push, announce (acknowledged), retire. */
async function checkpointOnce(ws: Workspace): Promise<string[]> {
  const notes: string[] = [];
  writeFileSync(path.join(ws.dir, `${ws.jobId}.txt`), "work\n");
  const wip = new WipCheckpointer({
    ws,
    jobId: ws.jobId,
    attempt: 2,
    announce: async () => true,
    note: (t) => notes.push(t),
    stopped: () => false,
  });
  await wip.take(false);
  expect(wip.current?.branch).toBe(`gf/wip/${ws.jobId}-e2`);
  return notes;
}

const hasBranch = (repo: string, branch: string) => {
  try {
    sh(repo, "rev-parse", "--verify", "-q", `refs/heads/${branch}`);
    return true;
  } catch {
    return false;
  }
};

describe("a recorded checkpoint branch that is not this job's own", () => {
  it("`release` of the job's repository: the run may start from it, but never deletes it there", async () => {
    const origin = path.join(root, "origin.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", origin]);
    const seed = path.join(root, "seed");
    execFileSync("git", ["init", "-q", "-b", "main", seed]);
    writeFileSync(path.join(seed, "README"), "app\n");
    sh(seed, "add", "README");
    sh(seed, "commit", "-q", "-m", "first");
    sh(seed, "push", "-q", origin, "main", "main:release");
    const releaseSha = sh(origin, "rev-parse", "release");

    const ws = await prepareWorkspace(
      job("job_rel", { repo: origin, checkpoint: { branch: "release", sha: releaseSha, at: 0 } }),
      host,
    );
    const notes = await checkpointOnce(ws);
    expect(hasBranch(origin, "gf/wip/job_rel-e2")).toBe(true); // its own checkpoint went there
    expect(ws.resumedFrom).toBe(releaseSha);
    expect(hasBranch(origin, "release")).toBe(true);
    expect(sh(origin, "rev-parse", "release")).toBe(releaseSha);
    expect(notes.join("\n")).not.toMatch(/retired/);
  });

  it("another job's WIP branch on the host's checkpoint remote: neither resumed from nor deleted", async () => {
    const other = await prepareWorkspace(job("job_other", { leaseEpoch: 1 }), host);
    writeFileSync(path.join(other.dir, "secret.txt"), "another product's work\n");
    const snap = await snapshot(other, undefined, checkpointMessage("job_other", 1), false);
    const theirs = await pushCheckpoint(other, snap.sha);
    expect(theirs.branch).toBe("gf/wip/job_other-e1");

    const ws = await prepareWorkspace(
      job("job_mine", { checkpoint: { branch: theirs.branch, sha: snap.sha, at: 0 } }),
      host,
    );
    expect(ws.resumedFrom).toBeUndefined();
    expect(existsSync(path.join(ws.dir, "secret.txt"))).toBe(false);
    await checkpointOnce(ws);
    expect(sh(host.checkpointRemote, "rev-parse", theirs.branch)).toBe(snap.sha);
  });
});

describe("isOwnWipBranch", () => {
  it("is the job's epoch branches and its legacy one, nothing that only starts like them", () => {
    expect(isOwnWipBranch("job_a", "gf/wip/job_a-e3")).toBe(true);
    expect(isOwnWipBranch("job_a", "gf/wip/job_a")).toBe(true);
    for (const b of ["gf/wip/job_a-e", "gf/wip/job_a-e3x", "gf/wip/job_ab-e1", "gf/wip/job_a/x", "main", "gf/job_a"])
      expect(isOwnWipBranch("job_a", b)).toBe(false);
  });
});
