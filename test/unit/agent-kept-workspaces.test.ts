// A workspace whose final checkpoint failed is kept for the operator (agent/kept-workspaces), with real git in temp
// dirs: moved out of the job's path, a repo workspace still a worktree of its mirror on a detached HEAD — so the
// job's retry on this host prepares its own workspace and the kept files survive it, unaliased — or, when git
// cannot link it again, its files alone; and removed by the sweep only once its days are over — with an engine user
// too (as root), whose files stay its own.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { KEPT_FOR_MS, KEPT_MAX, keepWorkspace, keptDir, sweepKeptWorkspaces } from "../../src/agent/kept-workspaces.ts";
import { jobDir, prepareWorkspace } from "../../src/agent/workspace.ts";
import { scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-kept-", "job_kept");
const { root, host, job } = fx;
const NOW = 1_700_000_000_000;
const said: Array<{ event: string; text: string }> = [];
const out = { say: (_m: string, event: string, text: string) => said.push({ event, text }) };

function origin(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  sh(dir, "init", "-q", "-b", "main");
  writeFileSync(path.join(dir, "f"), "f\n");
  sh(dir, "add", ".");
  sh(dir, "commit", "-q", "-m", "base");
  return dir;
}

describe("a kept repo workspace", () => {
  it("moves out of the job's path, stays a worktree on a detached HEAD, and survives the job's retry here", async () => {
    const opts = { ...host, allowLocalRepos: true };
    const j = job({ repo: origin("o1") });
    const ws = await prepareWorkspace(j, opts);
    writeFileSync(path.join(ws.dir, "work.txt"), "uncaptured\n");
    const kept = await keepWorkspace(ws, host.workDir, NOW);
    expect(kept).toEqual({ dir: keptDir(host.workDir, j.id, 1), linked: true });
    expect(existsSync(ws.dir)).toBe(false);
    expect(sh(kept.dir, "status", "--porcelain")).toBe("?? work.txt");
    expect(sh(kept.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("HEAD"); // detached: the branch is the retry's

    // The retry lands here: its workspace is prepared at the job's path, the kept one is untouched and its own.
    const again = await prepareWorkspace({ ...j, attempt: 2, leaseEpoch: 2 }, opts);
    expect(again.dir).toBe(jobDir(host.workDir, j.id));
    writeFileSync(path.join(again.dir, "retry.txt"), "x\n");
    expect(sh(kept.dir, "status", "--porcelain")).toBe("?? work.txt");
    expect(sh(again.dir, "status", "--porcelain")).toBe("?? retry.txt");
    expect(readFileSync(path.join(kept.dir, "work.txt"), "utf8")).toBe("uncaptured\n");
  });

  it("whose link to the mirror cannot be repaired keeps its files only, and the retry still prepares", async () => {
    const opts = { ...host, allowLocalRepos: true };
    const j = job({ repo: origin("o2") });
    const ws = await prepareWorkspace(j, opts);
    writeFileSync(path.join(ws.dir, "work.txt"), "uncaptured\n");
    // The worktree's own git data is gone (what made its checkpoint fail): repair has nothing to link.
    rmSync(sh(ws.dir, "rev-parse", "--absolute-git-dir"), { recursive: true, force: true });
    const kept = await keepWorkspace(ws, host.workDir, NOW);
    expect(kept.linked).toBe(false);
    expect(existsSync(path.join(kept.dir, ".git"))).toBe(false); // no link the next run's worktree could take over
    expect(readFileSync(path.join(kept.dir, "work.txt"), "utf8")).toBe("uncaptured\n");
    const again = await prepareWorkspace({ ...j, attempt: 2, leaseEpoch: 2 }, opts);
    expect(sh(again.dir, "status", "--porcelain")).toBe("");
  });
});

describe("the sweep", () => {
  it(`removes a kept workspace ${KEPT_FOR_MS / 86_400_000} days after it was kept, not before`, async () => {
    const ws = await fx.workspace();
    writeFileSync(path.join(ws.dir, "work.txt"), "x\n");
    const kept = await keepWorkspace(ws, host.workDir, NOW);
    expect(sh(kept.dir, "status", "--porcelain")).toBe("?? work.txt"); // a scratch workspace is its own repository
    said.length = 0;
    expect(await sweepKeptWorkspaces(host.workDir, undefined, NOW + KEPT_FOR_MS - 1, out)).toEqual([]);
    expect(existsSync(kept.dir)).toBe(true);
    expect(await sweepKeptWorkspaces(host.workDir, undefined, NOW + KEPT_FOR_MS, out)).toContain(kept.dir);
    expect(existsSync(kept.dir)).toBe(false);
    expect(existsSync(`${kept.dir}.json`)).toBe(false);
    expect(said).toContainEqual({ event: "workspace.kept_removed", text: expect.stringContaining(kept.dir) });
  });

  it(`keeps at most ${KEPT_MAX}, the newest: a host whose checkpoints keep failing does not fill its disk`, async () => {
    const dirs: string[] = [];
    for (let i = 0; i <= KEPT_MAX; i++) {
      const ws = await fx.workspace();
      dirs.push((await keepWorkspace(ws, host.workDir, NOW + i)).dir);
    }
    said.length = 0;
    // None is old enough to expire; one too many is kept, and the oldest goes.
    expect(await sweepKeptWorkspaces(host.workDir, undefined, NOW + KEPT_MAX, out)).toEqual([dirs[0]]);
    expect(dirs.map((d) => existsSync(d))).toEqual(dirs.map((_, i) => i > 0));
    expect(said).toContainEqual({
      event: "workspace.kept_removed",
      text: expect.stringContaining(`${KEPT_MAX} newer`),
    });
    expect(await sweepKeptWorkspaces(host.workDir, undefined, NOW + KEPT_MAX, out)).toEqual([]);
  });
});

describe.skipIf(process.getuid?.() !== 0)("with an engine user", () => {
  it("is kept and linked again as that user, its files still its own, and swept as it", async () => {
    chmodSync(root, 0o755);
    const user = lookupUser("nobody") as RunAs;
    const workDir = path.join(root, "engine-user-work");
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const repo = origin("o3");
    execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, repo]); // git refuses a repository of another user's
    const opts = { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner, allowLocalRepos: true };
    const j = job({ repo });
    const ws = await prepareWorkspace(j, opts);
    execFileSync("sh", ["-c", "echo work > work.txt"], { uid: user.uid, gid: user.gid, cwd: ws.dir });
    const kept = await keepWorkspace(ws, workDir, NOW);
    expect(kept.linked).toBe(true);
    const asEngine = { uid: user.uid, gid: user.gid, cwd: kept.dir, encoding: "utf8" as const };
    expect(execFileSync("git", ["status", "--porcelain"], asEngine).trim()).toBe("?? work.txt");
    expect(execFileSync("find", [kept.dir, "-not", "-user", String(user.uid)], { encoding: "utf8" })).toBe("");
    await prepareWorkspace({ ...j, attempt: 2, leaseEpoch: 2 }, opts);
    expect(await sweepKeptWorkspaces(workDir, owner, NOW + KEPT_FOR_MS, out)).toEqual([kept.dir]);
    expect(existsSync(kept.dir)).toBe(false);
  });
});
