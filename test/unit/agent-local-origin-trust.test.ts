// Every git command against a job's allowed LOCAL origin that another user owns (root's repository, the agent root,
// engines as `nobody`) runs with exactly that repository trusted (agent/local-trust), not only the mirror's clone and
// fetch: the resume's fetch of the checkpoint branch, the WIP checkpoint's push and the retiring of an earlier epoch's
// branch. Without it git refused them ("detected dubious ownership"): the resume read that as "no checkpoint on
// origin" and started afresh, the push fell back or failed. A checkpoint remote another user owns (the operator's
// --checkpoint-remote) is trusted the same way: its resume fetch, checkpoint push and retire failed "dubious ownership".
// And a source git still refuses to read for its owner (a path the trust cannot name: a `*`) is never "no
// checkpoint": the preparation fails with git's words and the fix.
// Real git, real user (`nobody`); root only.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pushCheckpoint, retireBranch } from "../../src/agent/checkpoint.ts";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { originRepo, sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-local-trust-"));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("a root-owned local origin, the engine user's git", () => {
  const user = lookupUser("nobody") as RunAs;
  let n = 0;
  /** A fresh host (work dir, checkpoint remote) whose engines run as `nobody`, local repos allowed. */
  const host = () => {
    const workDir = path.join(root, `work${++n}`);
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    return { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner, allowLocalRepos: true };
  };
  const job = (id: string, over: Partial<Job>) =>
    ({ id, title: "t", attempt: 1, leaseEpoch: 2, budget: {}, ...over }) as Job;
  /** Root's repository at `name`: main, and `branch` one commit ahead of it (its sha). */
  const origin = (name: string, branch: string) => {
    const dir = originRepo(path.join(root, name));
    sh(dir, "checkout", "-q", "-b", branch);
    sh(dir, "commit", "-q", "--allow-empty", "-m", "wip");
    const tip = sh(dir, "rev-parse", "HEAD");
    sh(dir, "checkout", "-q", "main");
    return { dir, tip };
  };

  it("resumes from the checkpoint branch fetched from it (a record naming no sha: the branch's tip)", async () => {
    const branch = "gf/wip/job_res-e1";
    const o = origin("origin-resume", branch);
    const ws = await prepareWorkspace(
      job("job_res", { repo: o.dir, checkpoint: { branch } as Job["checkpoint"] }),
      host(),
    );
    expect(ws.resumedFrom).toBe(o.tip); // it was `undefined`: a fresh start, the checkpoint's work lost
    expect(ws.resumedBranch).toBe(branch);
  });

  it("pushes the WIP checkpoint to it, and retires the earlier epoch's branch there", async () => {
    const earlier = "gf/wip/job_push-e1";
    const o = origin("origin-push", earlier);
    execFileSync("chmod", ["-R", "a+rwX", o.dir]); // root's still, but the engine user may write it
    const ws = await prepareWorkspace(job("job_push", { repo: o.dir }), host());
    const pushed = await pushCheckpoint(ws, ws.base);
    expect(pushed.target).toBe("origin"); // it fell back to the host's checkpoint remote
    expect(sh(o.dir, "rev-parse", pushed.branch)).toBe(ws.base);
    expect(await retireBranch(ws, earlier)).toContain("origin");
    expect(sh(o.dir, "branch", "--list", earlier)).toBe("");
  });

  it("a checkpoint remote another user owns is read and pushed to with exactly it trusted, as the origin is", async () => {
    const h = host();
    const branch = "gf/wip/job_cpo-e1";
    const o = origin("cp-source", branch);
    const cp = path.join(root, "cp-root-owned.git"); // root's bare repository, the host's checkpoint remote
    sh(root, "clone", "-q", "--bare", o.dir, cp);
    const sha = o.tip;
    execFileSync("chmod", ["-R", "a+rwX", cp]); // root's still, but the engine user may write it
    const ws = await prepareWorkspace(job("job_cpo", { checkpoint: { branch, sha } as Job["checkpoint"] }), {
      ...h,
      checkpointRemote: cp,
    });
    expect(ws.resumedFrom).toBe(sha); // it failed: "cannot fetch the checkpoint branch … dubious ownership"
    const pushed = await pushCheckpoint(ws, sha);
    expect(pushed.target).toBe(cp);
    expect(sh(cp, "rev-parse", pushed.branch)).toBe(sha);
    expect(await retireBranch(ws, branch)).toEqual([cp]);
    expect(sh(cp, "branch", "--list", branch)).toBe("");
  });

  it("a checkpoint remote the trust cannot name exactly (a `*`) is no `no checkpoint`: the preparation fails, saying why", async () => {
    const h = host();
    const branch = "gf/wip/job_cp-e1";
    const o = origin("cp-source-star", branch);
    const cp = path.join(root, "cp-root-owned-*.git"); // a `*` is a pattern to git: never trusted
    sh(root, "clone", "-q", "--bare", o.dir, cp);
    const sha = o.tip;
    const err = await prepareWorkspace(job("job_cp", { checkpoint: { branch, sha } as Job["checkpoint"] }), {
      ...h,
      checkpointRemote: cp,
    }).then(
      (ws) => new Error(`prepared, resumed from ${ws.resumedFrom ?? "nothing"}`),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/cannot fetch the checkpoint branch gf\/wip\/job_cp-e1 from .*dubious ownership/);
    expect(err.message).toContain("safe.directory");
  });
});
