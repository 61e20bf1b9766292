// Resuming reads every source of the WIP branch (agent/workspace-resume): a checkpoint that only the host's
// checkpoint remote holds (origin refused that push) is still the one resumed from, and a lock another agent holds
// on the shared mirror is retried, then reported, never taken for "no checkpoint". Where the recorded checkpoint cannot
// be had, it says why in words true for each case: a job requeued onto another host, its checkpoint in the first
// host's own checkpoints.git, finds the branch nowhere — an info notice, not a disagreement (it warned "resume sources
// disagree"); a branch moved off the recorded commit is found without it — a warning.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-resume-src-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const id = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...id } }).trim();

/** A bare origin with one commit, and this host's options (its own checkpoint remote). */
function setup(name: string) {
  const seed = path.join(root, `${name}-seed`);
  mkdirSync(seed);
  sh(seed, "init", "-q", "-b", "main");
  writeFileSync(path.join(seed, "r.txt"), "r\n");
  sh(seed, "add", ".");
  sh(seed, "commit", "-qm", "init");
  const origin = path.join(root, `${name}-origin.git`);
  sh(root, "clone", "-q", "--bare", seed, origin);
  const host = {
    workDir: path.join(root, `${name}-w`),
    checkpointRemote: path.join(root, `${name}-cp.git`),
    allowLocalRepos: true,
  };
  const job = { id: `job_${name}`, title: "t", attempt: 1, leaseEpoch: 1, budget: {}, repo: origin } as unknown as Job;
  return { origin, host, job };
}

it("resumes from the recorded checkpoint that only the checkpoint remote holds, origin's branch being behind", async () => {
  const { origin, host, job } = setup("behind");
  const ws = await prepareWorkspace(job, host);
  writeFileSync(path.join(ws.dir, "a.txt"), "first\n");
  const s1 = await snapshot(ws, undefined, "cp1", false);
  expect((await pushCheckpoint(ws, s1.sha)).target).toBe("origin");
  renameSync(origin, `${origin}.away`); // origin refuses the next push
  writeFileSync(path.join(ws.dir, "b.txt"), "second\n");
  const s2 = await snapshot(ws, s1.sha, "cp2", false);
  const p2 = await pushCheckpoint(ws, s2.sha);
  expect(p2.target).toBe(host.checkpointRemote);
  renameSync(`${origin}.away`, origin);
  const job2 = { ...job, attempt: 2, leaseEpoch: 2, checkpoint: { branch: p2.branch, sha: s2.sha } } as Job;
  const ws2 = await prepareWorkspace(job2, host);
  expect(ws2.resumedFrom).toBe(s2.sha);
  // origin's branch still ends at cp1: said, but cp2 is what the work continues from.
  expect(ws2.resumeMismatch ?? "").not.toMatch(/not on its branch/);
  expect(sh(ws2.dir, "show", "HEAD:b.txt")).toBe("second");
});

it("a lock on the shared mirror that stays held fails the resume instead of starting from an older source", async () => {
  const { host, job } = setup("locked");
  const ws = await prepareWorkspace(job, host);
  writeFileSync(path.join(ws.dir, "a.txt"), "first\n");
  const s1 = await snapshot(ws, undefined, "cp1", false);
  const p1 = await pushCheckpoint(ws, s1.sha);
  const mirror = ws.mirror as string;
  // Another agent's fetch into the same per-source ref, never finishing (the origin source is the first, `/0`).
  const lockDir = path.join(mirror, "refs", "gf", "resume-src", job.id);
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(path.join(lockDir, "0.lock"), "");
  const job2 = { ...job, attempt: 2, leaseEpoch: 2, checkpoint: { branch: p1.branch, sha: s1.sha } } as Job;
  await expect(prepareWorkspace(job2, host)).rejects.toThrow(/lock/i);
  rmSync(path.join(lockDir, "0.lock"));
  expect((await prepareWorkspace(job2, host)).resumedFrom).toBe(s1.sha);
});

it("a job requeued onto another host, its checkpoint in the first host's checkpoints.git, says so as info, not a disagreement", async () => {
  const { origin, host, job } = setup("elsewhere");
  renameSync(origin, `${origin}.away`); // origin refuses the push: the checkpoint goes to this host's own remote
  const ws = await prepareWorkspace({ ...job, repo: undefined } as unknown as Job, host);
  writeFileSync(path.join(ws.dir, "a.txt"), "first\n");
  const s1 = await snapshot(ws, undefined, "cp1", false);
  const p1 = await pushCheckpoint(ws, s1.sha);
  expect(p1.target).toBe(host.checkpointRemote);
  renameSync(`${origin}.away`, origin);
  // The second host: its own work dir and checkpoint remote, the job's repository reachable.
  const other = {
    ...host,
    workDir: path.join(root, "elsewhere-w2"),
    checkpointRemote: path.join(root, "elsewhere-cp2.git"),
  };
  const job2 = { ...job, attempt: 2, leaseEpoch: 2, checkpoint: { branch: p1.branch, sha: s1.sha } } as Job;
  const ws2 = await prepareWorkspace(job2, other);
  expect(ws2.resumedFrom).toBeUndefined();
  // Routine in a fleet whose hosts keep their own checkpoints: nothing disagrees, so no warning (newcomer N, pass 43).
  expect(ws2.resumeMismatch).toBeUndefined();
  expect(ws2.resumeNotice).toBe(
    `coordinator recorded ${s1.sha.slice(0, 12)} on ${p1.branch}; branch ${p1.branch} is on no source this host can ` +
      `fetch, nor is its checkpoint ${s1.sha.slice(0, 12)} here (a checkpoint another host kept in its own ` +
      "checkpoints.git is out of this one's reach): starting fresh",
  );
});

it("a recorded commit its fetched branch does not hold is said as not on its branch, and resumed from its tip", async () => {
  const { host, job } = setup("moved");
  const ws = await prepareWorkspace(job, host);
  writeFileSync(path.join(ws.dir, "a.txt"), "first\n");
  const s1 = await snapshot(ws, undefined, "cp1", false);
  const p1 = await pushCheckpoint(ws, s1.sha);
  expect(p1.target).toBe("origin");
  // The record names a commit no source holds (the branch was moved off it and the commit collected): the branch is
  // found, at the pushed commit, without the recorded one.
  const gone = "e".repeat(40);
  const other = { ...host, workDir: path.join(root, "moved-w2"), checkpointRemote: path.join(root, "moved-cp2.git") };
  const job2 = { ...job, attempt: 2, leaseEpoch: 2, checkpoint: { branch: p1.branch, sha: gone } } as Job;
  const ws2 = await prepareWorkspace(job2, other);
  expect(ws2.resumedFrom).toBe(s1.sha);
  expect(ws2.resumeMismatch).toBe(
    `coordinator recorded ${gone.slice(0, 12)} on ${p1.branch}; recorded checkpoint ${gone.slice(0, 12)} is not on ` +
      `its branch: resuming from ${s1.sha.slice(0, 12)} (branch tip)`,
  );
});
