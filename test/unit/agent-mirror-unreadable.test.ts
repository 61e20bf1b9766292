// A repository mirror an engine left unreadable to git (agent/mirror-ready), with real git in temp dirs: a `config`
// line git cannot parse, or garbage in `packed-refs`, failed every later job of that repository on the host for good
// ("bad config line", "unexpected line in ./packed-refs"). Once no job runs from it the mirror is cloned afresh; while
// one still does, the next preparation fails (to be retried) and the running job's repository is left alone. Refs
// an engine wrote naming objects the mirror does not have (and a detached HEAD naming none) failed every later fetch
// ("fatal: bad object"): they are dropped, even while that job still runs.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discardWorkspace, prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const fx = scratchHost("gf-agent-mirror-unreadable-", "job_unr");
const { root, host, job } = fx;
const opts = { ...host, allowLocalRepos: true };

describe("a mirror git cannot read", () => {
  for (const [what, file, plant] of [
    ["a config line git cannot parse", "config", (f: string) => appendFileSync(f, "[[[\n")],
    ["garbage in packed-refs", "packed-refs", (f: string) => writeFileSync(f, "garbage\n")],
  ] as const) {
    it(`${what}, left by a job that has ended: the next job's preparation clones the mirror afresh`, async () => {
      const origin = originRepo(path.join(root, `origin-${file}`));
      const a = await prepareWorkspace(job({ repo: origin }), opts);
      await discardWorkspace(a);
      plant(path.join(a.mirror as string, file));
      const b = await prepareWorkspace(job({ repo: origin }), opts);
      expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    });
  }

  it("while a job still runs from it: the next preparation fails, and the mirror is left to that job", async () => {
    const origin = originRepo(path.join(root, "origin-live"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    sh(a.dir, "commit", "-q", "--allow-empty", "-m", "a's commit");
    const config = path.join(a.mirror as string, "config");
    const good = readFileSync(config, "utf8");
    appendFileSync(config, "[[[\n");
    await expect(prepareWorkspace(job({ repo: origin }), opts)).rejects.toThrow(/bad config line/);
    writeFileSync(config, good); // its engine mends it: the repository it works in is the one it had
    expect(sh(a.dir, "log", "-1", "--format=%s")).toBe("a's commit");
  });
});

describe("refs naming objects the mirror does not have", () => {
  it("are dropped, and the next job is prepared while the job that wrote them still runs", async () => {
    const origin = originRepo(path.join(root, "origin-bad-refs"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    sh(a.dir, "commit", "-q", "--allow-empty", "-m", "a's commit");
    sh(origin, "commit", "-q", "--allow-empty", "-m", "second");
    const mirror = a.mirror as string;
    writeFileSync(path.join(mirror, "refs", "remotes", "origin", "main"), `${"1".repeat(40)}\n`);
    writeFileSync(path.join(mirror, "refs", "heads", "junk"), `${"2".repeat(40)}\n`);
    writeFileSync(path.join(mirror, "HEAD"), `${"3".repeat(40)}\n`);
    const b = await prepareWorkspace(job({ repo: origin }), opts);
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    expect(sh(a.dir, "log", "-1", "--format=%s")).toBe("a's commit");
  });
});
