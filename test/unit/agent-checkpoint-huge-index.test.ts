// A checkpoint starts its private index from a copy of the workspace's `.git/index` (agent/checkpoint), a file the
// engine can replace with one of any size at no cost (`truncate -s 3G .git/index`: sparse). Without an engine user the
// agent read it whole into its own memory at every checkpoint of the run — gigabytes, in the process every seat
// shares — and past 2 GiB the read failed, so every checkpoint failed, the final one too, and the run's work was not
// captured. Now an index over MAX_INDEX_BYTES is not copied: it is removed as a FIFO there is, and the snapshot starts
// from HEAD (with an engine user, `cp` copied it, and git then failed on it in the final `reset`). Real git in temp
// dirs, a sparse file (no disk used); the engine-user case runs only as root (as `nobody`).
import { execFileSync } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { files, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-huge-index-", "job_hidx");
chmodSync(fx.root, 0o755);
const isRoot = process.getuid?.() === 0;

describe("a workspace whose .git/index an engine made huge", () => {
  it("is not read: the final checkpoint captures the work, and the index is a real one again", async () => {
    const ws = await fx.workspace();
    writeFileSync(path.join(ws.dir, "work.txt"), "the engine's work\n");
    const index = path.join(sh(ws.dir, "rev-parse", "--absolute-git-dir"), "index");
    truncateSync(index, 3 * 1024 ** 3); // 3 GiB of holes
    const fin = await snapshot(ws, undefined, "final", true);
    expect(files(ws, fin.sha)).toBe("100644 work.txt");
    expect(lstatSync(index).size).toBeLessThan(1024 * 1024); // the final reset wrote a real one
  });

  it.runIf(isRoot)("as the engine user: the final checkpoint captures the work", async () => {
    const user = lookupUser("nobody") as RunAs;
    const ids = { uid: user.uid, gid: user.gid };
    const workDir = path.join(fx.root, "owned");
    mkdirSync(workDir, { mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const job = { id: "job_hidx_u", title: "t", attempt: 1, leaseEpoch: 1, budget: {} } as unknown as Job;
    const ws = await prepareWorkspace(job, { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner });
    execFileSync("sh", ["-c", "echo work > work.txt"], { cwd: ws.dir, ...ids });
    const gitDir = execFileSync("git", ["rev-parse", "--absolute-git-dir"], { cwd: ws.dir, encoding: "utf8", ...ids });
    const index = path.join(gitDir.trim(), "index");
    execFileSync("truncate", ["-s", "3G", index], ids); // the engine's own file
    const fin = await snapshot(ws, undefined, "final", true);
    const tree = execFileSync("git", ["ls-tree", "-r", "--name-only", fin.sha], {
      cwd: ws.dir,
      encoding: "utf8",
      ...ids,
    });
    expect(tree.trim()).toBe("work.txt");
    expect(lstatSync(index).size).toBeLessThan(1024 * 1024);
  });
});
