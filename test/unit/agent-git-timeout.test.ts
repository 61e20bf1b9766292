// Every git command the agent runs has a wall-clock bound (agent/git-bounds), with real git in temp dirs. Before, a
// git that never ended — opening a FIFO an engine planted in a shared mirror (it waits for a writer), or a helper that
// sleeps — held the job's preparation for ever: the seat never freed, and its lease, still renewed, never lapsed. Now
// it is killed at its bound with everything it started (its process group) and fails with GitError code
// `git_timeout`, which names itself in the message the job fails with. A mirror whose cleaning hangs so is cloned
// afresh once no job runs from it, as an unreadable one is (agent/mirror-ready). The bound is shortened here.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git } from "../../src/agent/git.ts";
import { GIT_LOCAL_TIMEOUT_MS, setGitLocalTimeoutMs } from "../../src/agent/git-bounds.ts";
import { discardWorkspace, prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-git-timeout-", "job_gto");
const opts = { ...host, allowLocalRepos: true };

/** Processes whose command line holds `mark` (a sleep the test's git started), or whose cwd is `dir`. */
function processes(match: { mark?: string; cwd?: string }): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ");
      if (match.mark !== undefined && cmd.includes(match.mark)) found.push(Number(name));
      else if (match.cwd !== undefined && readlinkSync(`/proc/${name}/cwd`) === match.cwd) found.push(Number(name));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}

/** Resolves once `check` holds: polls (a state to wait for, not a timed assertion). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

/** Replace `file` by a FIFO nobody writes: whatever opens it to read waits for good. */
function fifo(file: string): void {
  rmSync(file, { force: true });
  execFileSync("mkfifo", [file]);
}

/** Long enough for a local git command on a loaded host, short for a test. */
const BOUND_MS = 3000;
/** The hung git's bound: it is stopped there whatever the load, and nothing else runs under it (`hungFirst`). */
const HUNG_BOUND_MS = 500;
beforeAll(() => setGitLocalTimeoutMs(BOUND_MS));
afterAll(() => setGitLocalTimeoutMs(GIT_LOCAL_TIMEOUT_MS));

/**
 * `prepare()`, its bound HUNG_BOUND_MS until its first git in `mirror` has started — the one reading the FIFO (the
 * preparation runs no git before it), which keeps the bound it started with — and BOUND_MS again for every git after
 * it (a fresh clone's, which answer): the case waits half a second for the hung git, not the 3 s a loaded host's
 * answering ones are given.
 */
async function hungFirst<T>(mirror: string, prepare: () => Promise<T>): Promise<T> {
  setGitLocalTimeoutMs(HUNG_BOUND_MS);
  let settled = false;
  const prepared = prepare();
  const done = () => {
    settled = true;
  };
  prepared.then(done, done);
  try {
    await until(() => settled || processes({ cwd: mirror }).length > 0);
  } finally {
    setGitLocalTimeoutMs(BOUND_MS);
  }
  return prepared;
}

describe("a git command that never ends", () => {
  it("is killed at its bound, with the helper it started, and fails git_timeout", async () => {
    const mark = `${process.pid}.${Date.now() % 1000}`; // a sleep no other test starts
    const hung = git(["-c", `alias.hang=!sleep ${mark}`, "hang"], { cwd: root, timeoutMs: 300 });
    await expect(hung).rejects.toMatchObject({ code: "git_timeout", message: expect.stringMatching(/^git_timeout: /) });
    await until(() => processes({ mark }).length === 0); // the sleep went with it: it shared git's process group
  });

  it("reading a FIFO planted as a mirror's config: stopped, and the mirror is cloned afresh", async () => {
    const origin = originRepo(path.join(root, "origin-fifo"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    await discardWorkspace(a);
    const mirror = a.mirror as string;
    fifo(path.join(mirror, "config"));
    const b = await hungFirst(mirror, () => prepareWorkspace(job({ repo: origin }), opts));
    expect(b.base).toBe(sh(origin, "rev-parse", "main"));
    expect(processes({ cwd: mirror })).toEqual([]); // no git left waiting on the FIFO
  });

  it("while a job still runs from the mirror: the preparation fails git_timeout, to be retried", async () => {
    const origin = originRepo(path.join(root, "origin-fifo-live"));
    const a = await prepareWorkspace(job({ repo: origin }), opts);
    const mirror = a.mirror as string;
    fifo(path.join(mirror, "config"));
    await expect(hungFirst(mirror, () => prepareWorkspace(job({ repo: origin }), opts))).rejects.toMatchObject({
      code: "git_timeout",
      message: expect.stringMatching(/^git_timeout: git config/),
    });
    await until(() => processes({ cwd: mirror }).length === 0);
  });
});
