// A repository mirror's HEAD a job's engine broke (agent/mirror-head), with real git in temp dirs: HEAD written with
// something git takes for no ref made the mirror "not a git repository", failing every later job of that repository
// on the host for good; a HEAD removed while a job still ran from the mirror made the next preparation remove and
// clone the mirror afresh under that job, whose worktree lost its repository. Both are repaired in place.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-mirror-head-", "job_head");
const { root, host, job } = fx;
const opts = { ...host, allowLocalRepos: true };

describe("a mirror's HEAD an engine broke", () => {
  for (const [what, plant] of [
    ["written with a word", (head: string) => writeFileSync(head, "garbage\n")],
    [
      "made a directory",
      (head: string) => {
        rmSync(head);
        mkdirSync(head);
      },
    ],
  ] as const) {
    it(`${what}: the next job of the repository is prepared`, async () => {
      const origin = originRepo(path.join(root, `origin-${fx.n}`));
      const a = await prepareWorkspace(job({ repo: origin }), opts);
      plant(path.join(a.mirror as string, "HEAD"));
      const b = await prepareWorkspace(job({ repo: origin }), opts);
      expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    });
  }

  it("removed while a job still runs from the mirror: the mirror is kept, and that job's worktree still works", async () => {
    const origin = originRepo(path.join(root, "origin-removed"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    writeFileSync(path.join(a.dir, "work.txt"), "a's work\n");
    sh(a.dir, "add", "work.txt");
    sh(a.dir, "commit", "-q", "-m", "a's commit");
    rmSync(path.join(a.mirror as string, "HEAD"));
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    expect(sh(a.dir, "log", "-1", "--format=%s")).toBe("a's commit");
  });
});
