// What one job's engine plants in its repository's shared mirror (the common dir its worktree's `.git` points into)
// does not reach the next job of that repository on the host (real git in temp dirs, file remotes only): the mirror's
// HEAD pointed at another branch no longer picks the branch a new job starts from (origin's default does, and is
// followed when origin changes it); an origin whose HEAD names no commit is refused with the reason; a `shallow`
// file (planted, made up, or left by an engine's `git fetch --depth 1`) no longer cuts the next job's history, whose
// checkpoint push to the host's checkpoint remote was refused ("shallow update not allowed").
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-mirror-hygiene-", "job_hyg");
const { root, host, job } = fx;
const opts = { ...host, allowLocalRepos: true };

/** A job's repository with `main` ("base") and a branch `x` one commit further ("other"); returns its path. */
function originWithBranch(name: string): string {
  const origin = originRepo(path.join(root, name));
  sh(origin, "checkout", "-q", "-b", "x");
  sh(origin, "commit", "-q", "--allow-empty", "-m", "other");
  sh(origin, "checkout", "-q", "main");
  return origin;
}

/** `git args…` run by an engine in its worktree `dir` against the mirror itself (its common dir). */
function inCommonDir(dir: string, ...args: string[]): string {
  return sh(dir, "--git-dir", sh(dir, "rev-parse", "--path-format=absolute", "--git-common-dir"), ...args);
}

describe("the mirror's HEAD", () => {
  it("an engine's `symbolic-ref HEAD refs/heads/x` in the mirror does not move the next job off origin's main", async () => {
    const origin = originWithBranch("origin-head");
    const main = sh(origin, "rev-parse", "main");
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    inCommonDir(a.dir, "symbolic-ref", "HEAD", "refs/heads/x");
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(main);
    expect(sh(b.dir, "rev-parse", "HEAD")).toBe(main);
  });

  it("a new job follows origin when origin changes its default branch", async () => {
    const origin = originWithBranch("origin-moved");
    await prepareWorkspace(job({ repo: origin }), opts);
    sh(origin, "symbolic-ref", "HEAD", "refs/heads/x");
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "x"));
  });

  it("an origin whose HEAD names no commit is refused with the reason", async () => {
    const origin = originWithBranch("origin-unborn");
    await prepareWorkspace(job({ repo: origin }), opts);
    sh(origin, "symbolic-ref", "HEAD", "refs/heads/nowhere");
    await expect(prepareWorkspace(job({ repo: origin }), opts)).rejects.toThrow(/has no commits on its default branch/);
  });
});

/** The workspace's files committed and pushed to the host's checkpoint remote alone (as when origin refuses). */
async function checkpointToHost(ws: Workspace): Promise<string> {
  writeFileSync(path.join(ws.dir, "work.txt"), "work\n");
  const snap = await snapshot(ws, undefined, "cp", false);
  return (await pushCheckpoint({ ...ws, pushTargets: [host.checkpointRemote] }, snap.sha)).target;
}

describe("a shallow mirror", () => {
  it("a `shallow` file an engine planted (origin's main, a made-up sha) does not cut the next job's history", async () => {
    const origin = originRepo(path.join(root, "origin-planted"));
    sh(origin, "commit", "-q", "--allow-empty", "-m", "second");
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    const common = sh(a.dir, "rev-parse", "--path-format=absolute", "--git-common-dir");
    writeFileSync(path.join(common, "shallow"), `${sh(origin, "rev-parse", "main")}\n${"1".repeat(40)}\n`);
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(sh(b.dir, "rev-list", "--count", "HEAD")).toBe("2");
    await expect(checkpointToHost(b)).resolves.toBe(host.checkpointRemote);
  });

  it("an engine's `git fetch --depth 1` of a moved origin does not cut the next job's history", async () => {
    const origin = originRepo(path.join(root, "origin-depth"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    for (const m of ["two", "three", "four"]) sh(origin, "commit", "-q", "--allow-empty", "-m", m);
    sh(a.dir, "fetch", "-q", "--depth", "1", "origin");
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(sh(b.dir, "rev-list", "--count", "HEAD")).toBe("4");
    await expect(checkpointToHost(b)).resolves.toBe(host.checkpointRemote);
  });

  it("a directory planted as `shallow` does not fail every later preparation", async () => {
    const origin = originRepo(path.join(root, "origin-dir"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    mkdirSync(path.join(sh(a.dir, "rev-parse", "--path-format=absolute", "--git-common-dir"), "shallow"));
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
  });
});
