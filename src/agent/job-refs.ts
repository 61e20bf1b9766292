/**
 * @module agent/job-refs
 * What a job's run makes in its repository's mirror (agent/workspace), removed when the run is cleaned up after its
 * agent was killed (agent/job-leftovers): the branch `gf/<jobId>`, `refs/gf/resume/<jobId>` (the commit it resumed
 * from), the scratch refs `refs/gf/resume-src/<jobId>/*` of a resume cut short, and its worktree's registration. A
 * seat's own cleanup (discardWorkspace) removes them; a run whose agent died kept them for good — a branch per job,
 * and refs that keep their commits from git's gc — in the shared mirror, on every crash.
 * Never another run's: nothing is removed from a mirror while a worktree of the job is on disk there (the job leased
 * here again), which is checked holding the mirror's lock, as every preparation and discard holds it.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { RunAs } from "./engine-user.ts";
import { git, gitOk } from "./git.ts";
import { pruneWorktrees } from "./kept-links.ts";
import { MIRROR_NAME } from "./mirror-eviction.ts";
import { mirrorIsDir } from "./mirror-head.ts";
import { jobDir, withMirrorLock } from "./workspace.ts";

/** The refs of `jobId` in `mirror`, exactly (git's patterns match `gf/<jobId>/…` too, never `gf/<jobId>0`). */
async function refsOf(mirror: string, jobId: string, as: RunAs | undefined): Promise<string[]> {
  const branch = `refs/heads/gf/${jobId}`;
  const resume = `refs/gf/resume/${jobId}`;
  const scratch = `refs/gf/resume-src/${jobId}/`;
  const out = await git(["for-each-ref", "--format=%(refname)", branch, resume, scratch], { cwd: mirror, as });
  return out.split("\n").filter((r) => r === branch || r === resume || r.startsWith(scratch));
}

/**
 * Whether a worktree of `jobId` is on disk in `mirror`: at the job's path (`jobs/<jobId>`) or on its branch. Such a
 * worktree is a run of the job (this host's, or another agent's sharing the work dir) whose refs these now are.
 */
async function jobLive(mirror: string, workDir: string, jobId: string, as: RunAs | undefined): Promise<boolean> {
  const out = await git(["worktree", "list", "--porcelain"], { cwd: mirror, as });
  const own = path.resolve(jobDir(workDir, jobId));
  for (const block of out.split(/\n\s*\n/)) {
    const lines = block.split("\n");
    const tree = lines.find((l) => l.startsWith("worktree "))?.slice("worktree ".length);
    if (!tree || path.resolve(tree) === path.resolve(mirror)) continue;
    const onBranch = lines.includes(`branch refs/heads/gf/${jobId}`);
    if ((onBranch || path.resolve(tree) === own) && existsSync(tree)) return true;
  }
  return false;
}

/**
 * Remove what a run of `jobId` left in the mirrors under `workDir` (see the module doc), as `as` (their owner), in
 * each mirror that has any of it, unless the job has a worktree there. Call after its workspace left the job's path.
 * Returns the mirrors cleaned. Never throws: a mirror git cannot read now keeps them.
 */
export async function forgetJobRefs(workDir: string, jobId: string, as: RunAs | undefined): Promise<string[]> {
  const dir = path.join(workDir, "mirrors");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => MIRROR_NAME.test(n));
  } catch {
    return []; // no mirror yet
  }
  const cleaned: string[] = [];
  for (const name of names) {
    const mirror = path.join(dir, name);
    // A link an engine planted at a mirror's name is no mirror: its git would run in (and delete refs of) its target.
    if (!mirrorIsDir(mirror)) continue;
    try {
      // Most mirrors hold nothing of the job: read without the lock, which a long fetch may hold.
      if ((await refsOf(mirror, jobId, as)).length === 0) continue;
      const done = await withMirrorLock(mirror, async () => {
        if (await jobLive(mirror, workDir, jobId, as)) return false;
        await pruneWorktrees(mirror, as); // the run's registration, its dir gone: it holds the branch
        const opts = { cwd: mirror, as };
        for (const ref of await refsOf(mirror, jobId, as)) await gitOk(["update-ref", "-d", ref], opts);
        return true;
      });
      if (done) cleaned.push(mirror);
    } catch {
      /* left for the operator: the mirror could not be read */
    }
  }
  return cleaned;
}
