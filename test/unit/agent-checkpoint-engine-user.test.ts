// The hostile-workspace checkpoint cases with an engine user (as the recommended root setup runs them): a nested
// repository the engine made and a stale index.lock it left are handled by git and rm running as the engine's user,
// and nothing in its tree ends up root's. Real git, a real user (`nobody`); runs only as root.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-cp-user-"));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("checkpoints of an engine user's workspace", () => {
  it("capture a nested repository and clear a stale index.lock as that user", async () => {
    const user = lookupUser("nobody") as RunAs;
    const workDir = path.join(root, "work");
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const job = { id: "job_u1", title: "t", attempt: 1, leaseEpoch: 1, budget: {} } as unknown as Job;
    const ws = await prepareWorkspace(job, { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner });
    const asEngine = { uid: user.uid, gid: user.gid, cwd: ws.dir, env: { HOME: owner.home, PATH: process.env.PATH } };
    execFileSync("sh", ["-c", "mkdir sub && cd sub && git init -q && echo work > a.txt"], asEngine);
    const gitDir = execFileSync("git", ["rev-parse", "--absolute-git-dir"], { ...asEngine, encoding: "utf8" }).trim();
    execFileSync("touch", [path.join(gitDir, "index.lock")], asEngine);
    const fin = await snapshot(ws, undefined, "final", true);
    expect(fin.embedded).toEqual(["sub"]);
    expect(fin.clearedLocks).toEqual([path.join(gitDir, "index.lock")]);
    expect(existsSync(path.join(gitDir, "index.lock"))).toBe(false);
    const tree = execFileSync("git", ["ls-tree", "-r", "--name-only", fin.sha], { ...asEngine, encoding: "utf8" });
    expect(tree.trim()).toBe("sub/a.txt");
    const notTheirs = execFileSync("find", [ws.dir, gitDir, "-not", "-user", String(user.uid)], { encoding: "utf8" });
    expect(notTheirs).toBe("");
  });
});
