// Whether a worktree of a mirror is on disk (agent/mirror-head `worktreeOnDisk`, which decides whether a broken mirror
// may be removed and cloned afresh, and whether a missing HEAD is put back) is read from the mirror's `worktrees/`,
// which every engine that runs from the mirror can write. It was checked by path (lstat: a directory) and then listed
// by path: one swapped for a link between the two was listed and read wherever the link led (as root with an engine
// user, any directory of the host), and what lay there decided for the mirror. Now `worktrees/` and each entry in it
// are opened as themselves (agent/opened-dir) and read through those descriptors: a link is never followed. The swap
// is made deterministic: node:fs's readdirSync is wrapped to put the link in place just before the agent's listing.
// Kept out of the shared workers (vitest.unit.config.ts isolates a file whose text names `vi.mock`).
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { worktreeOnDisk } from "../../src/agent/mirror-head.ts";

/** Set by a test: runs once, just before the next readdirSync (the engine's swap). */
const beforeList: { run?: () => void } = {};

vi.mock("node:fs", async (original) => {
  const real = await original<typeof import("node:fs")>();
  const readdirSync = ((...args: Parameters<typeof real.readdirSync>) => {
    const swap = beforeList.run;
    beforeList.run = undefined;
    swap?.();
    return real.readdirSync(...args);
  }) as typeof real.readdirSync;
  return { ...real, readdirSync };
});

const root = fs.mkdtempSync(path.join(tmpdir(), "gf-mirror-worktrees-swap-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A directory laid out as a mirror's `worktrees/` with one worktree whose work tree is on disk. */
function liveAdmin(dir: string): void {
  const wt = path.join(root, `${path.basename(dir)}-work`);
  fs.mkdirSync(wt, { recursive: true });
  fs.mkdirSync(path.join(dir, "job_1"), { recursive: true });
  fs.writeFileSync(path.join(dir, "job_1", "gitdir"), `${path.join(wt, ".git")}\n`);
}

describe("a mirror's worktrees/ swapped for a link after the agent's check", () => {
  it("is not followed: the directory checked is the one read, and it holds no worktree", () => {
    const mirror = path.join(root, "swap.git");
    const admin = path.join(mirror, "worktrees");
    fs.mkdirSync(admin, { recursive: true }); // empty: no job runs from this mirror
    const elsewhere = path.join(root, "elsewhere");
    liveAdmin(elsewhere);
    beforeList.run = () => {
      fs.renameSync(admin, path.join(mirror, "worktrees.old"));
      fs.symlinkSync(elsewhere, admin);
    };
    expect(worktreeOnDisk(mirror)).toBe(false);
    expect(beforeList.run).toBeUndefined(); // the swap happened
  });

  it("an entry in it that is a link is not followed either", () => {
    const mirror = path.join(root, "entry.git");
    fs.mkdirSync(path.join(mirror, "worktrees"), { recursive: true });
    const elsewhere = path.join(root, "entry-elsewhere");
    liveAdmin(elsewhere);
    fs.symlinkSync(path.join(elsewhere, "job_1"), path.join(mirror, "worktrees", "job_1"));
    expect(worktreeOnDisk(mirror)).toBe(false);
  });

  it("a real one is still found, and a link in its place from the start is no worktrees/", () => {
    const mirror = path.join(root, "real.git");
    liveAdmin(path.join(mirror, "worktrees"));
    expect(worktreeOnDisk(mirror)).toBe(true);
    const linked = path.join(root, "linked.git");
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(mirror, "worktrees"), path.join(linked, "worktrees"));
    expect(worktreeOnDisk(linked)).toBe(false);
  });
});
