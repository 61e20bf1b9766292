// What one job's engine plants in its repository's shared mirror (the common dir its worktree's `.git` points into)
// does not reach the next job of that repository on the host (real git in temp dirs, file remotes only): the mirror's
// HEAD pointed at another branch no longer picks the branch a new job starts from (origin's default does, and is
// followed when origin changes it); an origin whose HEAD names no commit is refused with the reason; a `shallow`
// file (planted, made up, or left by an engine's `git fetch --depth 1`) no longer cuts the next job's history, whose
// checkpoint push to the host's checkpoint remote was refused ("shallow update not allowed"); and what else git
// obeys in the common dir: `info/grafts` (a resumed job's diff base), `info/attributes` (the next job's checkout) and
// `objects/info/alternates` (objects a running job checked out, lost with the engine's store) go even while a job
// still runs from the mirror, without breaking it; `hooks/` and `refs/replace/*` once none does.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { discardWorkspace, prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
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

/** The mirror behind the worktree `dir`, as its engine finds it. */
const commonDir = (dir: string): string => sh(dir, "rev-parse", "--path-format=absolute", "--git-common-dir");

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

describe("what an engine plants in the mirror's common dir", () => {
  it("info/grafts, even while that job still runs, does not move a resumed job's diff base", async () => {
    const origin = originRepo(path.join(root, "origin-grafts"));
    const first = sh(origin, "rev-parse", "main");
    sh(origin, "commit", "-q", "--allow-empty", "-m", "second");
    const main = sh(origin, "rev-parse", "main");
    const j = job({ repo: origin });
    const a = await prepareWorkspace(j, opts);
    writeFileSync(path.join(a.dir, "work.txt"), "work\n");
    const snap = await snapshot(a, undefined, "cp", false);
    const { branch } = await pushCheckpoint({ ...a, pushTargets: [host.checkpointRemote] }, snap.sha);
    // Its engine (still running) says the checkpoint's parent is the first commit.
    writeFileSync(path.join(commonDir(a.dir), "info", "grafts"), `${snap.sha} ${first}\n`);
    const again = { ...j, attempt: 2, leaseEpoch: 2, checkpoint: { branch, sha: snap.sha } } as Job;
    const b = await prepareWorkspace(again, opts);
    expect(b.resumedFrom).toBe(snap.sha);
    expect(b.base).toBe(main);
  });

  it("info/attributes of a job still running does not rewrite the next job's checkout", async () => {
    const origin = originRepo(path.join(root, "origin-attributes"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    writeFileSync(path.join(commonDir(a.dir), "info", "attributes"), "* text eol=crlf\n");
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(readFileSync(path.join(b.dir, "f"), "utf8")).toBe("f\n");
  });

  it("objects borrowed through objects/info/alternates stay with the jobs that saw them once the store is gone", async () => {
    const origin = originRepo(path.join(root, "origin-alternates"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    writeFileSync(path.join(origin, "new.txt"), "new\n");
    sh(origin, "add", "new.txt");
    sh(origin, "commit", "-q", "-m", "new");
    // A's engine keeps a clone of origin in its workspace and lends the mirror its objects.
    const store = path.join(a.dir, ".store.git");
    sh(root, "clone", "-q", "--bare", origin, store);
    writeFileSync(path.join(commonDir(a.dir), "objects", "info", "alternates"), `${path.join(store, "objects")}\n`);
    const b = await prepareWorkspace(job({ repo: origin }), opts); // while A still runs
    expect(sh(a.dir, "status", "--porcelain")).toBe("?? .store.git/"); // A keeps working
    await discardWorkspace(a); // and its store goes with it
    expect(sh(b.dir, "cat-file", "-p", "HEAD:new.txt")).toBe("new");
    await expect(checkpointToHost(b)).resolves.toBe(host.checkpointRemote);
  });

  it("hooks/ of a job that has ended do not run on the next job's commits", async () => {
    const origin = originRepo(path.join(root, "origin-hooks"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    const marker = path.join(root, "hook-ran");
    mkdirSync(path.join(commonDir(a.dir), "hooks"), { recursive: true });
    const hook = path.join(commonDir(a.dir), "hooks", "post-commit");
    writeFileSync(hook, `#!/bin/sh\ntouch '${marker}'\n`);
    chmodSync(hook, 0o755);
    await discardWorkspace(a);
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    sh(b.dir, "commit", "-q", "--allow-empty", "-m", "engine b");
    expect(existsSync(marker)).toBe(false);
  });

  it("refs/replace/* of a job that has ended do not show the next job's engine forged commits", async () => {
    const origin = originRepo(path.join(root, "origin-replace"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    const main = sh(a.dir, "rev-parse", "HEAD");
    const forged = sh(a.dir, "commit-tree", "-m", "forged", `${main}^{tree}`);
    sh(a.dir, "replace", main, forged);
    await discardWorkspace(a);
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(sh(b.dir, "log", "-1", "--format=%s")).toBe("base");
  });
});
