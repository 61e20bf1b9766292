// A run cleaned up after its agent was killed (agent/job-leftovers, agent/job-refs) leaves nothing of the job in its
// repository's mirror: its branch gf/<job>, its resume ref, the scratch refs of a resume cut short and its worktree's
// registration go — as a seat's own cleanup removes them. Before, only its files went: every crash left a branch
// and refs (keeping their commits from gc) in the shared mirror for good. Never another run's: a job with a worktree
// on disk there (another job, or the same job leased here again) keeps every ref. Real git in temp dirs.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { removeJobLeftovers } from "../../src/agent/job-leftovers.ts";
import { prepareWorkspace, withMirrorLock } from "../../src/agent/workspace.ts";
import { scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-job-refs-", "job_refs");
const places = { workDir: host.workDir, stateDir: path.join(root, "state") };

function origin(): string {
  const dir = path.join(root, "origin");
  mkdirSync(dir);
  sh(dir, "init", "-q", "-b", "main");
  writeFileSync(path.join(dir, "f"), "f\n");
  sh(dir, "add", ".");
  sh(dir, "commit", "-q", "-m", "base");
  return dir;
}

/** Every ref of the mirror that names `jobId`. */
function jobRefs(mirror: string, jobId: string): string[] {
  return sh(mirror, "for-each-ref", "--format=%(refname)")
    .split("\n")
    .filter((r) => r.includes(`/${jobId}`));
}

describe("a run cleaned up after its agent was killed", () => {
  it("leaves no branch, resume ref or registration of the job in the mirror, and every live run's alone", async () => {
    const opts = { ...host, allowLocalRepos: true };
    const repo = origin();
    const crashed = job({ repo });
    const other = job({ repo });
    const back = job({ repo });
    const ws = await prepareWorkspace(crashed, opts);
    const live = await prepareWorkspace(other, opts);
    const old = await prepareWorkspace(back, opts);
    const mirror = ws.mirror as string;
    // What the killed runs had besides their branch: the commit each resumed from, a resume fetch cut short.
    for (const j of [crashed, other, back]) {
      sh(mirror, "update-ref", `refs/gf/resume/${j.id}`, "HEAD");
      sh(mirror, "update-ref", `refs/gf/resume-src/${j.id}/0`, "HEAD");
    }
    expect(jobRefs(mirror, crashed.id)).toHaveLength(3);

    await removeJobLeftovers(places, crashed.id, 1);
    expect(jobRefs(mirror, crashed.id)).toEqual([]);
    expect(sh(mirror, "worktree", "list", "--porcelain")).not.toContain(ws.dir);

    // `back` is leased here again while its old run's cleanup waits for the mirror (a fetch holds it): the new run
    // prepares first, and its branch and refs are the live run's — kept.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const busy = withMirrorLock(mirror, () => gate);
    const cleanup = removeJobLeftovers(places, back.id, 1);
    const preparing = prepareWorkspace({ ...back, attempt: 2, leaseEpoch: 2 }, opts);
    release();
    await busy;
    const again = await preparing;
    await cleanup;
    expect(again.dir).toBe(old.dir);
    expect(jobRefs(mirror, back.id).sort()).toEqual(
      [`refs/gf/resume-src/${back.id}/0`, `refs/gf/resume/${back.id}`, `refs/heads/gf/${back.id}`].sort(),
    );
    expect(sh(again.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe(`gf/${back.id}`);

    // Another job's run is untouched: branch, refs, worktree.
    expect(jobRefs(mirror, other.id).sort()).toEqual(
      [`refs/gf/resume-src/${other.id}/0`, `refs/gf/resume/${other.id}`, `refs/heads/gf/${other.id}`].sort(),
    );
    writeFileSync(path.join(live.dir, "x"), "x\n");
    expect(sh(live.dir, "status", "--porcelain")).toBe("?? x");
  });
});
