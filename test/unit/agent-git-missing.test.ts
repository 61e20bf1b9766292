// An agent on a host without git refuses to start, saying so (`✘ ERROR git_missing`, exit 2): every job is a git
// repository (a mirror's worktree, or a scratch repo), so it failed each job it took in a second ("spawn git ENOENT"),
// spending an attempt, and took the next at once. The real agent process, git off its PATH.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-git-missing-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("refuses to start without git, naming it and the fix", async () => {
  // What the agent's start-up runs besides git (the engine user's passwd entry, its access check), and no git.
  const bin = path.join(root, "no-git-bin");
  mkdirSync(bin);
  for (const tool of ["getent", "sh"])
    symlinkSync(
      execFileSync("sh", ["-c", `command -v ${tool}`])
        .toString()
        .trim(),
      path.join(bin, tool),
    );
  const agent = startAgent(offlineRunArgs(path.join(root, "state")), { PATH: bin });
  await until(
    "the agent exiting or connecting",
    () => agent.code() !== undefined || agent.out().includes("connecting to"),
  );
  expect(await agent.stop()).toBe(2); // it connected and ran on: a drain's 0
  expect(agent.out()).toMatch(/✘ ERROR git_missing: git is not on this host's PATH \(.*no-git-bin\)/);
  expect(agent.out()).toContain("install git");
});
