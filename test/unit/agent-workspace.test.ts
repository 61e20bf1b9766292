// Workspaces and checkpoints against real git in a temp dir (never a mocked git): isolation, WIP commits that
// leave the engine's HEAD alone, resuming a job on another "host" from the checkpoint branch, and WIP branches
// per lease epoch, so a zombie's late push never overwrites the new holder's.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, retireBranch, snapshot } from "../../src/agent/checkpoint.ts";
import { runDiff } from "../../src/agent/run-diff.ts";
import { checkpointBranch, discardWorkspace, mirrorName, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-ws-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  }).trim();

function job(id: string, extra: Partial<Job> = {}): Job {
  return { id, title: id, bodyMd: "", attempt: 1, leaseEpoch: 1, budget: {}, ...extra } as Job;
}

describe("scratch workspaces (jobs without a repo)", () => {
  const remote = path.join(root, "shared", "checkpoints.git");
  const hostA = { workDir: path.join(root, "a"), checkpointRemote: remote };
  const hostB = { workDir: path.join(root, "b"), checkpointRemote: remote };
  let firstSha = "";

  it("starts as its own git repo on gf/<jobId>, with an empty base commit", async () => {
    const ws = await prepareWorkspace(job("job_s1"), hostA);
    expect(ws.kind).toBe("scratch");
    expect(sh(ws.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("gf/job_s1");
    expect(sh(ws.dir, "rev-parse", "HEAD")).toBe(ws.base);
    expect(existsSync(path.join(remote, "HEAD"))).toBe(true);
  });

  it("checkpoints WIP without touching the engine's HEAD or index, and skips when nothing changed", async () => {
    const ws = await prepareWorkspace(job("job_s1"), hostA);
    writeFileSync(path.join(ws.dir, "a.txt"), "one\n");
    sh(ws.dir, "add", "a.txt"); // the engine staged something itself
    writeFileSync(path.join(ws.dir, "b.txt"), "two\n");
    const snap = await snapshot(ws, undefined, checkpointMessage("job_s1", 1), false);
    expect(snap.changed).toBe(true);
    expect(sh(ws.dir, "rev-parse", "HEAD")).toBe(ws.base);
    expect(sh(ws.dir, "status", "--porcelain")).toBe("A  a.txt\n?? b.txt".trim());
    expect(sh(ws.dir, "log", "-1", "--format=%s", snap.sha)).toBe("gf: checkpoint job_s1 attempt 1");
    expect(sh(ws.dir, "ls-tree", "--name-only", snap.sha).split("\n").sort()).toEqual(["a.txt", "b.txt"]);
    expect(await snapshot(ws, snap.sha, "again", false)).toEqual({ sha: snap.sha, changed: false });

    const pushed = await pushCheckpoint(ws, snap.sha);
    expect(pushed).toEqual({ branch: "gf/wip/job_s1-e1", target: remote });
    expect(sh(remote, "rev-parse", "gf/wip/job_s1-e1")).toBe(snap.sha);
    firstSha = snap.sha;
  });

  it("the final checkpoint commits even when empty and leaves the workspace clean at that commit", async () => {
    const ws = await prepareWorkspace(job("job_s2"), hostA);
    const fin = await snapshot(ws, undefined, "final", true);
    expect(fin.changed).toBe(true);
    expect(sh(ws.dir, "rev-parse", "HEAD")).toBe(fin.sha);
    expect(sh(ws.dir, "status", "--porcelain")).toBe("");
    await discardWorkspace(ws);
    expect(existsSync(ws.dir)).toBe(false);
  });

  it("another host resumes from the checkpoint branch: the first host's WIP commit is in its history", async () => {
    const ws = await prepareWorkspace(
      job("job_s1", { leaseEpoch: 2, checkpoint: { branch: "gf/wip/job_s1-e1", at: 0 } }),
      hostB,
    );
    expect(ws.resumedFrom).toBe(firstSha);
    expect(readFileSync(path.join(ws.dir, "b.txt"), "utf8")).toBe("two\n");
    writeFileSync(path.join(ws.dir, "c.txt"), "three\n");
    const fin = await snapshot(ws, undefined, checkpointMessage("job_s1", 2), true);
    expect(sh(ws.dir, "merge-base", "--is-ancestor", firstSha, fin.sha)).toBe("");
    // The diff is against the original start commit, so it covers both attempts' work.
    const { stat, patch } = await runDiff(ws, fin.sha);
    expect(stat).toEqual({ files: 3, insertions: 3, deletions: 0 });
    expect(patch?.toString("utf8")).toMatch(/\+three\n/);
  });

  it("a zombie's late push at a lost epoch cannot overwrite the new holder's checkpoint branch", async () => {
    const zombie = await prepareWorkspace(job("job_z", { leaseEpoch: 1 }), hostA);
    writeFileSync(path.join(zombie.dir, "a.txt"), "a\n");
    const z1 = await snapshot(zombie, undefined, "z1", false);
    const old = await pushCheckpoint(zombie, z1.sha);
    // The lease moved on (epoch 1 → 2 → 3 after an expiry and a new claim); host B resumes from the recorded branch.
    const holder = await prepareWorkspace(
      job("job_z", { leaseEpoch: 3, checkpoint: { branch: old.branch, sha: z1.sha, at: 0 } }),
      hostB,
    );
    expect(holder.resumedFrom).toBe(z1.sha);
    writeFileSync(path.join(holder.dir, "b.txt"), "b\n");
    const h1 = await snapshot(holder, undefined, "h1", false);
    const mine = await pushCheckpoint(holder, h1.sha);
    // The zombie, not yet aware, pushes again.
    writeFileSync(path.join(zombie.dir, "z.txt"), "zombie\n");
    const z2 = await snapshot(zombie, z1.sha, "z2", false);
    await pushCheckpoint(zombie, z2.sha);
    expect(mine.branch).not.toBe(old.branch);
    expect(sh(remote, "rev-parse", mine.branch)).toBe(h1.sha);
    const next = await prepareWorkspace(
      job("job_z", { leaseEpoch: 5, checkpoint: { branch: mine.branch, sha: h1.sha, at: 0 } }),
      hostA,
    );
    expect(next.resumedFrom).toBe(h1.sha);
    expect(existsSync(path.join(next.dir, "z.txt"))).toBe(false);
  });

  it("retires the branch a run resumed from, never its own", async () => {
    const ws = await prepareWorkspace(
      job("job_z", { leaseEpoch: 5, checkpoint: { branch: "gf/wip/job_z-e3", at: 0 } }),
      hostB,
    );
    expect(ws.resumedBranch).toBe("gf/wip/job_z-e3");
    expect(await retireBranch(ws, checkpointBranch("job_z", 5))).toEqual([]);
    expect(await retireBranch(ws, "gf/wip/job_z-e3")).toEqual([remote]);
    expect(() => sh(remote, "rev-parse", "--verify", "-q", "gf/wip/job_z-e3")).toThrow();
  });

  it("seats preparing their first jobs at once share one fresh checkpoint remote (no git init race)", async () => {
    // Unserialised, six concurrent `git init --bare` of one dir fail about half the time; five hosts' worth here.
    for (let host = 0; host < 5; host++) {
      const workDir = path.join(root, `burst-${host}`);
      const fresh = { workDir, checkpointRemote: path.join(workDir, "checkpoints.git") };
      const jobs = Array.from({ length: 6 }, (_, i) => job(`job_burst${host}x${i}`));
      const spaces = await Promise.all(jobs.map((j) => prepareWorkspace(j, fresh)));
      expect(spaces.map((w) => w.jobId)).toEqual(jobs.map((j) => j.id));
      expect(sh(fresh.checkpointRemote, "rev-parse", "--is-bare-repository")).toBe("true");
      for (const w of spaces) await discardWorkspace(w);
    }
  });

  it("a checkpoint branch that does not exist means a fresh start, not a failure", async () => {
    const ws = await prepareWorkspace(job("job_s3", { checkpoint: { branch: "gf/wip/job_s3-e1", at: 0 } }), hostB);
    expect(ws.resumedFrom).toBeUndefined();
  });
});

describe("repo workspaces (git worktree of a cached bare mirror)", () => {
  const origin = path.join(root, "origin.git");
  const seed = path.join(root, "seed");
  const host = {
    workDir: path.join(root, "r"),
    checkpointRemote: path.join(root, "r", "checkpoints.git"),
    allowLocalRepos: true,
  };

  it("clones once, then adds a worktree on gf/<jobId> based on the default branch", async () => {
    sh(root, "init", "-q", "--bare", "-b", "main", origin);
    sh(root, "init", "-q", "-b", "main", seed);
    writeFileSync(path.join(seed, "README.md"), "hello\n");
    sh(seed, "add", ".");
    sh(seed, "commit", "-q", "-m", "init");
    sh(seed, "push", "-q", origin, "main");
    const ws = await prepareWorkspace(job("job_r1", { repo: origin }), host);
    expect(ws.kind).toBe("repo");
    expect(ws.mirror).toBe(path.join(host.workDir, "mirrors", mirrorName(origin)));
    expect(sh(ws.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("gf/job_r1");
    expect(readFileSync(path.join(ws.dir, "README.md"), "utf8")).toBe("hello\n");
    expect(ws.base).toBe(sh(seed, "rev-parse", "HEAD"));

    writeFileSync(path.join(ws.dir, "README.md"), "hello\nworld\n");
    const snap = await snapshot(ws, undefined, checkpointMessage("job_r1", 1), false);
    expect(await pushCheckpoint(ws, snap.sha)).toEqual({ branch: "gf/wip/job_r1-e1", target: "origin" });
    expect(sh(origin, "rev-parse", "gf/wip/job_r1-e1")).toBe(snap.sha);
    await discardWorkspace(ws);
    expect(existsSync(ws.dir)).toBe(false);

    // New upstream work is fetched on reuse; a resumed job starts from its WIP branch in the repo.
    writeFileSync(path.join(seed, "NEW.md"), "new\n");
    sh(seed, "add", ".");
    sh(seed, "commit", "-q", "-m", "more");
    sh(seed, "push", "-q", origin, "main");
    const fresh = await prepareWorkspace(job("job_r2", { repo: origin }), host);
    expect(existsSync(path.join(fresh.dir, "NEW.md"))).toBe(true);
    const resumed = await prepareWorkspace(
      job("job_r1", { repo: origin, leaseEpoch: 2, checkpoint: { branch: "gf/wip/job_r1-e1", at: 0 } }),
      host,
    );
    expect(resumed.resumedFrom).toBe(snap.sha);
    expect(readFileSync(path.join(resumed.dir, "README.md"), "utf8")).toBe("hello\nworld\n");
    expect(resumed.base).toBe(ws.base);
  });

  it("names mirrors readably but never lets two repos share one", () => {
    expect(mirrorName("https://github.com/org/app.git")).toMatch(/^app-[0-9a-f]{12}\.git$/);
    expect(mirrorName("https://github.com/a/app.git")).not.toBe(mirrorName("https://github.com/b/app.git"));
    expect(mirrorName("git@host:x/y")).toMatch(/^y-/);
  });

  it("fails clearly for a repo that cannot be cloned", async () => {
    await expect(prepareWorkspace(job("job_r3", { repo: path.join(root, "nope.git") }), host)).rejects.toThrow(
      /git clone/,
    );
  });
});
