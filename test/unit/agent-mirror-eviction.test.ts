// The repository mirrors a host keeps are bounded (agent/mirror-eviction): before, every repository a job named
// stayed cloned for good, and a job's `repo` is the submitter's to spell (`…/app.git`, `…/app.git/`, …: one full
// clone per spelling), so jobs could fill every factory's disk. Past MIRRORS_MAX the least recently used mirror is
// removed when a new one is cloned — never one a running job's worktree uses (the next oldest goes instead), and one
// evicted is simply cloned again by its next job. Real git in temp dirs, local repositories.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MIRRORS_MAX } from "../../src/agent/mirror-eviction.ts";
import { discardWorkspace, mirrorName, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-mirror-evict-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const host = { workDir: path.join(root, "w"), checkpointRemote: path.join(root, "cp.git"), allowLocalRepos: true };
const mirrors = path.join(host.workDir, "mirrors");
const mirrorOf = (repo: string) => path.join(mirrors, mirrorName(repo));
const job = (id: string, repo: string) =>
  ({ id, title: id, bodyMd: "", attempt: 1, leaseEpoch: 1, budget: {}, repo }) as Job;
/** Make `mirror` look last used `days` ago. */
const usedDaysAgo = (mirror: string, days: number) => {
  const t = (Date.now() - days * 86_400_000) / 1000;
  utimesSync(mirror, t, t);
};

describe("a host's repository mirrors", () => {
  it(
    "stay at most MIRRORS_MAX: the least recently used idle one goes, never one a running job uses",
    { timeout: 180_000 }, // 26 real clones and worktrees: 64 s on a loaded 2-core machine (pass 30 CI)
    async () => {
      const seed = path.join(root, "seed");
      execFileSync("git", ["init", "-q", "-b", "main", seed]);
      writeFileSync(path.join(seed, "README"), "app\n");
      sh(seed, "add", "README");
      sh(seed, "commit", "-q", "-m", "first");
      const repos = Array.from({ length: MIRRORS_MAX + 1 }, (_, i) => {
        const repo = path.join(root, `repo${i}.git`);
        execFileSync("git", ["clone", "-q", "--bare", seed, repo]);
        return repo;
      });
      const [running, idleOld, ...rest] = repos as [string, string, ...string[]];

      const live = await prepareWorkspace(job("job_live", running), host); // its engine still works here
      usedDaysAgo(mirrorOf(running), 30);
      const once = await prepareWorkspace(job("job_once", idleOld), host);
      await discardWorkspace(once);
      usedDaysAgo(mirrorOf(idleOld), 20);
      for (const [i, repo] of rest.entries()) {
        const ws = await prepareWorkspace(job(`job_r${i}`, repo), host);
        await discardWorkspace(ws);
      }

      expect(readdirSync(mirrors)).toHaveLength(MIRRORS_MAX);
      expect(existsSync(mirrorOf(running))).toBe(true);
      expect(existsSync(mirrorOf(idleOld))).toBe(false);
      expect(sh(live.dir, "status", "--porcelain")).toBe(""); // the running job's worktree still works

      const again = await prepareWorkspace(job("job_again", idleOld), host); // cloned afresh
      expect(readFileSync(path.join(again.dir, "README"), "utf8")).toBe("app\n");
      expect(readdirSync(mirrors)).toHaveLength(MIRRORS_MAX);
      expect(existsSync(mirrorOf(running))).toBe(true);
      await discardWorkspace(again);
      await discardWorkspace(live);
    },
  );
});
