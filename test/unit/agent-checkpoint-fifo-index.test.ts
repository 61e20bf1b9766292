// A checkpoint starts its private index from the workspace's `.git/index` (agent/checkpoint, agent/engine-user
// `copyAs`), a file the engine can replace. An engine that made it a FIFO (`mkfifo .git/index`) blocked the agent's
// synchronous open for good — with an engine user, `cp`'s, awaited synchronously — and every seat's lease lapsed; with
// a writer at the FIFO, the engine's bytes were taken as the index and the checkpoint failed. Now only a regular file
// is copied, opened without waiting; any other `.git/index` is removed and the snapshot starts from HEAD, so the
// final checkpoint still captures the engine's work. Here a writer process stands ready at each FIFO, so the old code
// read it (and failed) instead of hanging the test run; what is asserted is that nothing it wrote is used and that the
// checkpoint succeeds. Real git in temp dirs; the engine-user cases run only as root (as `nobody`).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { snapshot } from "../../src/agent/checkpoint.ts";
import { copyAs, engineHome, lookupUser, type RunAs } from "../../src/agent/engine-user.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { files, scratchHost } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-fifo-index-", "job_fifo");
chmodSync(fx.root, 0o755);
const writers: ChildProcess[] = [];
afterAll(() => {
  for (const w of writers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
});
const isRoot = process.getuid?.() === 0;

/** `file` replaced by a FIFO (made as `as` when given), a writer standing ready to write garbage into it. */
function plantFifo(file: string, as?: RunAs): void {
  rmSync(file, { force: true });
  execFileSync("mkfifo", [file], as ? { uid: as.uid, gid: as.gid } : {});
  writers.push(spawn("sh", ["-c", 'printf "not an index" > "$1"', "sh", file], { stdio: "ignore" }));
}

const gitDirOf = (dir: string, opts: { uid?: number; gid?: number } = {}) =>
  execFileSync("git", ["rev-parse", "--absolute-git-dir"], { cwd: dir, encoding: "utf8", ...opts }).trim();

describe("a workspace whose .git/index an engine made a FIFO", () => {
  it("without an engine user: the final checkpoint captures the work, and the index is a file again", async () => {
    const ws = await fx.workspace();
    writeFileSync(path.join(ws.dir, "work.txt"), "the engine's work\n");
    const index = path.join(gitDirOf(ws.dir), "index");
    plantFifo(index);
    const fin = await snapshot(ws, undefined, "final", true);
    expect(files(ws, fin.sha)).toBe("100644 work.txt");
    expect(lstatSync(index).isFile()).toBe(true); // the final reset wrote it
  });

  it.runIf(isRoot)("as the engine user: copyAs refuses the FIFO without reading it", async () => {
    const user = lookupUser("nobody") as RunAs;
    const dir = path.join(fx.root, "as-user");
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    const src = path.join(dir, "index");
    plantFifo(src, user);
    const dst = path.join(dir, "copy");
    await expect(copyAs(src, dst, user)).rejects.toThrow(/not a regular file/);
    expect(existsSync(dst)).toBe(false);
  });

  it.runIf(isRoot)("as the engine user: the final checkpoint captures the work", async () => {
    const user = lookupUser("nobody") as RunAs;
    const workDir = path.join(fx.root, "owned");
    mkdirSync(workDir, { mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const job = { id: "job_fifo_u", title: "t", attempt: 1, leaseEpoch: 1, budget: {} } as unknown as Job;
    const ws = await prepareWorkspace(job, { workDir, checkpointRemote: path.join(workDir, "cp.git"), owner });
    execFileSync("sh", ["-c", "echo work > work.txt"], { cwd: ws.dir, uid: user.uid, gid: user.gid });
    const index = path.join(gitDirOf(ws.dir, { uid: user.uid, gid: user.gid }), "index");
    plantFifo(index, user);
    const fin = await snapshot(ws, undefined, "final", true);
    const tree = execFileSync("git", ["ls-tree", "-r", "--name-only", fin.sha], {
      cwd: ws.dir,
      encoding: "utf8",
      uid: user.uid,
      gid: user.gid,
    });
    expect(tree.trim()).toBe("work.txt");
    expect(lstatSync(index).isFile()).toBe(true);
  });
});
