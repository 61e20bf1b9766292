// An engine that removes its workspace's `.git` (a scratch repository's dir, a worktree's link file) while the work
// dir sits inside another git repository — the demo's (`.wrangler/demo/<name>-work`, inside the checkout), a home dir
// kept in git — does not turn the agent's git on that repository. Before, git looked for a repository upwards from
// the workspace and found the enclosing one: the checkpoint committed the job's files on top of its history, the final
// checkpoint's `reset` moved its branch there (its index and `git status` with it), and the push sent its whole
// history — to the host's checkpoint remote, or with the enclosing repository's own `origin` remote and credentials.
// Now git never looks above the directory it runs in (GIT_CEILING_DIRECTORIES): the checkpoint fails — the
// run's work not captured, said so — and the enclosing repository is untouched. Real git in temp dirs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { originRepo, sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-lost-git-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The operator's repository, with its own `origin`, and the agent's work dir inside it.
const operator = path.join(root, "checkout");
const upstream = path.join(root, "upstream.git");
sh(root, "init", "-q", "--bare", "-b", "main", upstream);
mkdirSync(operator);
sh(operator, "init", "-q", "-b", "main");
writeFileSync(path.join(operator, "secret.txt"), "the operator's\n");
sh(operator, "add", "secret.txt");
sh(operator, "commit", "-q", "-m", "the operator's history");
sh(operator, "remote", "add", "origin", upstream);
const operatorHead = sh(operator, "rev-parse", "HEAD");
const host = {
  workDir: path.join(operator, ".wrangler", "demo", "a-work"),
  checkpointRemote: path.join(operator, ".wrangler", "demo", "a-work", "checkpoints.git"),
  allowLocalRepos: true,
};

const job = (id: string, extra: Partial<Job> = {}): Job =>
  ({ id, title: id, bodyMd: "", attempt: 1, leaseEpoch: 1, budget: {}, ...extra }) as Job;

/** The engine's work, then its `.git` gone; the final checkpoint and its push must fail, touching nothing else. */
async function loseGitAndCheckpoint(ws: Workspace): Promise<void> {
  writeFileSync(path.join(ws.dir, "work.txt"), "the job's\n");
  rmSync(path.join(ws.dir, ".git"), { recursive: true, force: true });
  await expect(snapshot(ws, undefined, checkpointMessage(ws.jobId, 1), true)).rejects.toThrow(/not a git repository/);
  await expect(pushCheckpoint(ws, operatorHead)).rejects.toThrow(/could not push checkpoint/);
  expect(sh(operator, "rev-parse", "HEAD")).toBe(operatorHead);
  expect(sh(operator, "status", "--porcelain", "--untracked-files=no")).toBe("");
  expect(sh(upstream, "for-each-ref")).toBe(""); // nothing pushed with the operator's `origin`
  expect(sh(host.checkpointRemote, "for-each-ref")).toBe("");
}

describe("a workspace whose .git the engine removed, inside another repository", () => {
  it("scratch: the checkpoint fails; the enclosing repository's branch, index and history stay its own", async () => {
    await loseGitAndCheckpoint(await prepareWorkspace(job("job_lg1"), host));
  });

  it("repo worktree: the same, and nothing goes to the enclosing repository's origin", async () => {
    const origin = originRepo(path.join(root, "origin"));
    await loseGitAndCheckpoint(await prepareWorkspace(job("job_lg2", { repo: origin }), host));
  });
});
