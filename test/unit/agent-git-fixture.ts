// Real git in temp dirs for the agent's checkpoint tests: `sh` (git in a directory with a fixed committer, its output
// trimmed), `files` (a commit's tree as `<mode> <path>` lines), `originRepo` (a job's repository: one commit on
// main), and a scratch host — work dir and checkpoint remote
// under a fresh temp dir, removed after the file's tests — that mints one new job (and workspace) per call.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { prepareWorkspace, type Workspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const GIT_ID = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };

/** `git args…` in `cwd` with a fixed committer, its stdout trimmed; throws on a non-zero exit. */
export const sh = (cwd: string, ...args: string[]): string =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ID } }).trim();

/** A job's repository at `dir` (made): `main` with one commit, "base", of `files` (default: `f` holding "f\n"). */
export function originRepo(dir: string, files: Record<string, string> = { f: "f\n" }): string {
  mkdirSync(dir);
  sh(dir, "init", "-q", "-b", "main");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  sh(dir, "add", ".");
  sh(dir, "commit", "-q", "-m", "base");
  return dir;
}

/** Every file of commit `sha` as `<mode> <path>` lines, read in the workspace's repository. */
export const files = (ws: Workspace, sha: string): string =>
  sh(ws.dir, "ls-tree", "-r", "--format=%(objectmode) %(path)", sha);

/** A scratch host under a new temp dir named `dirPrefix…`; jobs are `<jobPrefix><n>`, n counting from 1. */
export function scratchHost(dirPrefix: string, jobPrefix: string) {
  const root = mkdtempSync(path.join(tmpdir(), dirPrefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const host = { workDir: path.join(root, "w"), checkpointRemote: path.join(root, "checkpoints.git") };
  let n = 0;
  const job = (extra: Partial<Job> = {}): Job =>
    ({ id: `${jobPrefix}${++n}`, title: "t", attempt: 1, leaseEpoch: 1, budget: {}, ...extra }) as Job;
  return {
    root,
    host,
    job,
    /** The number of the last job made, for names unique to it. */
    get n() {
      return n;
    },
    /** A new job's workspace on this host (no repo: a scratch repository). */
    workspace: (): Promise<Workspace> => prepareWorkspace(job(), host),
  };
}
