// An agent killed while it keeps a workspace for the operator (agent/kept-workspaces) does not leave the kept dir's
// git bound to the job's next run. Real processes and real git in temp dirs: the keep runs in a child node process
// whose `git worktree repair` (the step after the move) is a stand-in that stops there; the child is SIGKILLed at
// that point, and the job's next run is prepared on the host. Before, that preparation pruned the moved worktree's
// registration and gave its name to the new worktree: the kept dir's `.git` then named the live run's admin dir, so
// git in the kept dir read and moved the live run's HEAD (on the job's branch) and index. Now the interrupted link is
// settled before the prune: the kept dir stays its own worktree, detached, its work intact, and the next run's apart.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { keptDir } from "../../src/agent/kept-workspaces.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-kept-crash-", "job_kc");

/** Resolves once `check` returns a value: polls (a state to wait for, not a timed assertion). */
async function until<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A `git` for the child's PATH: the real one, except `worktree repair`, which notes its pid in `mark` and sleeps. */
function stoppingGit(mark: string): string {
  const dir = path.join(root, "shim");
  mkdirSync(dir, { recursive: true });
  const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const file = path.join(dir, "git");
  writeFileSync(
    file,
    `#!/bin/sh
for a in "$@"; do [ "$a" = repair ] && { echo $$ > '${mark}.tmp'; mv '${mark}.tmp' '${mark}'; exec sleep 600; }; done
exec '${real}' "$@"
`,
  );
  chmodSync(file, 0o755);
  return dir;
}

/** The admin dir the worktree at `dir` uses, and the path that admin dir names back. */
function admin(dir: string): { admin: string; names: string } {
  const gitDir = sh(dir, "rev-parse", "--absolute-git-dir");
  return { admin: gitDir, names: readFileSync(path.join(gitDir, "gitdir"), "utf8").trim() };
}

describe("a keep cut short between the move and the repair", () => {
  it("leaves a kept dir that is its own worktree once the job's next run is prepared here", async () => {
    const origin = originRepo(path.join(root, "origin"));
    const opts = { ...host, allowLocalRepos: true };
    const j = job({ repo: origin });
    const ws = await prepareWorkspace(j, opts);
    writeFileSync(path.join(ws.dir, "work.txt"), "uncaptured\n");

    const mark = path.join(root, "repair.pid");
    const driver = path.join(root, "keep.ts");
    const src = path.resolve("src/agent/kept-workspaces.ts");
    writeFileSync(
      driver,
      `import { keepWorkspace } from ${JSON.stringify(src)};
await keepWorkspace(JSON.parse(process.argv[2]), process.argv[3], 1_700_000_000_000);
`,
    );
    const env = { ...process.env, PATH: `${stoppingGit(mark)}:${process.env.PATH}` };
    const child: ChildProcess = spawn(process.execPath, [driver, JSON.stringify(ws), host.workDir], {
      env,
      stdio: "ignore",
    });
    const closed = new Promise((r) => child.on("close", r));
    const repairPid = await until(() => (existsSync(mark) ? Number(readFileSync(mark, "utf8")) : undefined));
    process.kill(child.pid as number, "SIGKILL"); // the agent dies here: moved, not yet linked again
    process.kill(repairPid, "SIGKILL");
    await closed;
    const kept = keptDir(host.workDir, j.id, j.leaseEpoch as number);
    expect(readFileSync(path.join(kept, "work.txt"), "utf8")).toBe("uncaptured\n");

    // The retry lands on this host: its preparation prunes the mirror's worktrees and adds the job's again.
    const again = await prepareWorkspace({ ...j, attempt: 2, leaseEpoch: 2 }, opts);
    writeFileSync(path.join(again.dir, "retry.txt"), "x\n");
    const live = admin(again.dir);
    expect(live.names).toBe(path.join(again.dir, ".git"));
    const own = admin(kept);
    expect(own.admin).not.toBe(live.admin);
    expect(own.names).toBe(path.join(kept, ".git"));
    expect(sh(kept, "rev-parse", "--abbrev-ref", "HEAD")).toBe("HEAD"); // detached: the branch is the retry's
    expect(sh(kept, "status", "--porcelain")).toBe("?? work.txt");
    expect(sh(again.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe(`gf/${j.id}`);
    expect(sh(again.dir, "status", "--porcelain")).toBe("?? retry.txt");
    expect(readFileSync(path.join(kept, "work.txt"), "utf8")).toBe("uncaptured\n");
  });
});
