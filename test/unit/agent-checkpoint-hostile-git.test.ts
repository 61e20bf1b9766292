// Git state the engine can set that must not hide its own work from the checkpoint (agent/checkpoint,
// agent/git-neutral), with real git in temp dirs: index bits (assume-unchanged, skip-worktree), an ignore list in
// config (the repository's, which for a worktree is the mirror's that every job of the repo on this host shares),
// and core.fileMode=false.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { discardWorkspace, prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-cp-hostile-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const id = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...id } }).trim();

/** A bare origin with `t.txt` and `x.sh` (mode 644), and this host's options. */
function origin() {
  const seed = path.join(root, "seed");
  mkdirSync(seed);
  sh(seed, "init", "-q", "-b", "main");
  writeFileSync(path.join(seed, "t.txt"), "base\n");
  writeFileSync(path.join(seed, "x.sh"), "echo\n");
  sh(seed, "add", ".");
  sh(seed, "commit", "-qm", "base");
  const repo = path.join(root, "origin.git");
  sh(root, "clone", "-q", "--bare", seed, repo);
  return {
    repo,
    host: { workDir: path.join(root, "w"), checkpointRemote: path.join(root, "cp.git"), allowLocalRepos: true },
  };
}
const { repo, host } = origin();
let n = 0;
const made: Workspace[] = [];
async function workspace(): Promise<Workspace> {
  n += 1;
  const job = { id: `job_h${n}`, title: "t", attempt: 1, leaseEpoch: 1, budget: {}, repo } as unknown as Job;
  const ws = await prepareWorkspace(job, host);
  made.push(ws);
  return ws;
}
const show = (ws: Workspace, sha: string, f: string) => sh(ws.dir, "show", `${sha}:${f}`);

describe("the engine's git state does not hide its own work", () => {
  for (const bit of ["--assume-unchanged", "--skip-worktree"]) {
    it(`an edit to a file marked ${bit} is in the checkpoint`, async () => {
      const ws = await workspace();
      sh(ws.dir, "update-index", bit, "t.txt");
      writeFileSync(path.join(ws.dir, "t.txt"), "engine edit\n");
      const snap = await snapshot(ws, undefined, "cp", false);
      expect(show(ws, snap.sha, "t.txt")).toBe("engine edit");
      // Only the checkpoint's private index was cleared: the engine's keeps its bit.
      expect(sh(ws.dir, "ls-files", "-v", "t.txt")).toMatch(/^[hS] /);
    });
  }

  it("core.fileMode=false does not drop the exec bit the engine set", async () => {
    const ws = await workspace();
    sh(ws.dir, "config", "core.fileMode", "false");
    chmodSync(path.join(ws.dir, "x.sh"), 0o755);
    const snap = await snapshot(ws, undefined, "cp", false);
    expect(sh(ws.dir, "ls-tree", snap.sha, "x.sh")).toMatch(/^100755 /);
    sh(ws.dir, "config", "--unset", "core.fileMode");
  });

  it("a core.excludesFile job A's engine set (in the mirror both share) drops no file of job B's", async () => {
    const a = await workspace();
    writeFileSync(path.join(root, "ignore-all-ts"), "*.ts\n");
    sh(a.dir, "config", "core.excludesFile", path.join(root, "ignore-all-ts"));
    const b = await workspace();
    writeFileSync(path.join(b.dir, "feature.ts"), "export {}\n");
    const snap = await snapshot(b, undefined, "cp", false);
    expect(sh(b.dir, "ls-tree", "-r", "--name-only", snap.sha).split("\n")).toContain("feature.ts");
    writeFileSync(path.join(a.dir, "mine.ts"), "export {}\n");
    const own = await snapshot(a, undefined, "cp", false);
    expect(sh(a.dir, "ls-tree", "-r", "--name-only", own.sha).split("\n")).toContain("mine.ts");
  });

  it("job B's engine sees none of the git config and info/exclude job A's engine wrote into the shared mirror", async () => {
    const a = await workspace();
    const common = sh(a.dir, "rev-parse", "--path-format=absolute", "--git-common-dir");
    sh(a.dir, "config", "core.excludesFile", path.join(root, "ignore-all-ts"));
    sh(a.dir, "config", "alias.st", "status");
    writeFileSync(path.join(common, "info", "exclude"), "*.md\n");
    // A (and every earlier job here) has ended: a job still running keeps its config (agent-mirror-secret-edges).
    for (const w of made.splice(0)) await discardWorkspace(w);
    const b = await workspace();
    expect(sh(b.dir, "config", "--local", "--list", "--name-only").split("\n")).not.toContain("core.excludesfile");
    expect(sh(b.dir, "config", "--local", "--list", "--name-only").split("\n")).not.toContain("alias.st");
    writeFileSync(path.join(b.dir, "notes.md"), "x\n");
    expect(sh(b.dir, "status", "--porcelain")).toContain("notes.md");
    expect(sh(b.dir, "config", "remote.origin.url")).toBe(repo); // what the agent set stays
  });

  it("an info/exclude the engine made a link is removed, not written through", async () => {
    const a = await workspace();
    const common = sh(a.dir, "rev-parse", "--path-format=absolute", "--git-common-dir");
    const target = path.join(root, "precious.txt");
    writeFileSync(target, "keep me\n");
    rmSync(path.join(common, "info", "exclude"), { force: true });
    symlinkSync(target, path.join(common, "info", "exclude"));
    await workspace();
    expect(readFileSync(target, "utf8")).toBe("keep me\n");
  });
});
