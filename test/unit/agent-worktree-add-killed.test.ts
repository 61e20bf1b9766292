// A job's worktree whose `git worktree add` was killed part-way (the agent's whole process tree SIGKILLed while it
// prepared the job: systemd's final kill, the OOM killer, a reboot) does not make the job unpreparable here. git
// locks a worktree's registration ("initializing") while it checks the files out; killed then, the lock stays, and
// `worktree remove --force` and `worktree prune` both leave a locked registration alone, which keeps the job's
// branch checked out there. Before, every later preparation of the job here failed ("cannot force update the branch
// … checked out at …"). Real git in a temp dir: the add is really killed, inside a smudge filter that blocks.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discardWorkspace, jobDir, prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-add-killed-", "job_ak");

/** Resolves once `check` holds: polls (a state to wait for, not a timed assertion). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

describe("a job's worktree add killed mid-checkout", () => {
  it("is replaced by the job's next preparation here, which starts on the job's branch", async () => {
    const origin = originRepo(path.join(root, "origin"), {
      ".gitattributes": "slow.txt filter=slow\n",
      "slow.txt": "s\n",
    });
    const opts = { ...host, allowLocalRepos: true };
    // An earlier job made the mirror.
    const first = await prepareWorkspace(job({ repo: origin }), opts);
    await discardWorkspace(first);
    const mirror = first.mirror as string;

    // The agent's add for the next job, killed while it checks files out (a smudge filter that never returns).
    const j = job({ repo: origin });
    const dir = jobDir(host.workDir, j.id);
    const mark = path.join(root, "smudging");
    const smudge = `filter.slow.smudge=sh -c 'echo > ${mark}; exec sleep 600'`;
    const add = spawn("git", ["-c", smudge, "worktree", "add", "-q", "-f", "-B", `gf/${j.id}`, "--", dir, "main"], {
      cwd: mirror,
      detached: true,
      stdio: "ignore",
    });
    const closed = new Promise((r) => add.on("close", r));
    await until(() => existsSync(mark));
    process.kill(-(add.pid as number), "SIGKILL"); // git and its filter: the whole group, as a tree kill does
    await closed;
    const admin = path.join(mirror, "worktrees", j.id);
    expect(readFileSync(path.join(admin, "locked"), "utf8")).toMatch(/initializing/);

    const ws = await prepareWorkspace(j, opts);
    expect(sh(ws.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe(`gf/${j.id}`);
    expect(readFileSync(path.join(ws.dir, "slow.txt"), "utf8")).toBe("s\n");
    expect(sh(ws.dir, "status", "--porcelain")).toBe("");
    // One registration of the job's path, not locked.
    const listed = sh(mirror, "worktree", "list", "--porcelain").split("\n");
    expect(listed.filter((l) => l === `worktree ${dir}`)).toHaveLength(1);
    expect(listed.some((l) => l.startsWith("locked"))).toBe(false);
  });
});
