// A link an engine planted at a mirror's name in `<work-dir>/mirrors` (every engine that runs from a mirror can write
// there) is never followed by the agent's mirror bookkeeping, with real git in temp dirs. Before: marking a mirror
// used set the times of whatever the link named (as root with an engine user: any file of the host's); eviction
// ranked the link by its target's age and counted it as a mirror, so a real one was removed in its place; and the
// cleanup of a crashed run's refs ran git in the link's target, deleting the job's branch in another repository.
// Now the mark goes through a descriptor of the directory itself (a link is left alone), eviction removes such a link
// (the link itself) without counting it, and the refs cleanup skips it.
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RepoLocks } from "../../src/agent/git.ts";
import { forgetJobRefs } from "../../src/agent/job-refs.ts";
import { evictMirrors, markMirrorUsed } from "../../src/agent/mirror-eviction.ts";
import { originRepo, sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-mirror-evict-link-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DAY = 86_400_000;
const NOW = Date.now();

/** Set `p`'s times to `days` ago (through links: the test's own setup). */
const aged = (p: string, days: number) => {
  const t = (NOW - days * DAY) / 1000;
  utimesSync(p, t, t);
};

/** A bare clone of a fresh repository at `dir`, last used `days` ago. */
function bareRepo(dir: string, days: number): string {
  const origin = originRepo(path.join(root, `${path.basename(dir)}-origin`));
  execFileSync("git", ["clone", "-q", "--bare", origin, dir]);
  aged(dir, days);
  return dir;
}

describe("a link at a mirror's name", () => {
  it("is not marked used: its target's times stay", () => {
    const target = bareRepo(path.join(root, "target-mark.git"), 30);
    const before = statSync(target).mtimeMs;
    const link = path.join(root, "mark-0123456789ab.git");
    symlinkSync(target, link);
    markMirrorUsed(link, NOW);
    expect(statSync(target).mtimeMs).toBe(before);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it("is removed by eviction without counting as a mirror, and pushes no real one out", async () => {
    const mirrors = path.join(root, "mirrors");
    const real = bareRepo(path.join(mirrors, "app-aaaaaaaaaaaa.git"), 10);
    const target = bareRepo(path.join(root, "target-evict.git"), 1); // newer than the real mirror
    const link = path.join(mirrors, "evil-bbbbbbbbbbbb.git");
    symlinkSync(target, link);

    const removed = await evictMirrors(mirrors, undefined, new RepoLocks(), 1);
    expect(removed).toEqual([]);
    expect(existsSync(path.join(real, "HEAD"))).toBe(true); // the one real mirror stays: it is within the bound
    expect(lstatSync(link, { throwIfNoEntry: false })).toBeUndefined(); // the link itself went
    expect(existsSync(path.join(target, "HEAD"))).toBe(true); // never what it named
  });

  it("is skipped by the cleanup of a crashed run's refs: the target's branch of that job stays", async () => {
    const workDir = path.join(root, "w");
    const target = bareRepo(path.join(root, "target-refs.git"), 1);
    const main = sh(target, "rev-parse", "main");
    sh(target, "update-ref", "refs/heads/gf/job_x1", main);
    mkdirSync(path.join(workDir, "mirrors"), { recursive: true });
    symlinkSync(target, path.join(workDir, "mirrors", "evil-cccccccccccc.git"));

    expect(await forgetJobRefs(workDir, "job_x1", undefined)).toEqual([]);
    expect(sh(target, "rev-parse", "refs/heads/gf/job_x1")).toBe(main);
  });
});
